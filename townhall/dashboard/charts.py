"""Bar charts drawn on the server as inline SVG geometry: no chart library, no third-party request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    show_label: bool


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    peak: int
    total: int


def _nice_max(value: int) -> int:
    """A round number at or above ``value`` for the axis: 1, 2, 5, 10, 20, 50, …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(
    points: list[tuple[str, int]], width: int = 720, height: int = 200, labels: int = 8
) -> BarChart:
    """Geometry for a vertical bar chart; about ``labels`` x-axis labels are shown, evenly spaced."""
    left, top, bottom = 36, 10, height - 24
    peak = max((value for _, value in points), default=0)
    axis = _nice_max(max(peak, 1))
    plot_width = width - left - 4
    slot = plot_width / max(len(points), 1)
    every = max(1, round(len(points) / labels))
    bars = []
    for i, (label, value) in enumerate(points):
        bar_height = (bottom - top) * value / axis
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.1, 2),
                y=round(bottom - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
                label=label,
                value=value,
                show_label=i % every == 0,
            )
        )
    ticks = [(round(bottom - (bottom - top) * k / 2, 2), axis * k // 2) for k in range(3)]
    return BarChart(width, height, top, bottom, left, bars, ticks, peak, sum(v for _, v in points))
