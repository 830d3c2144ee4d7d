"""The moderators' and editors' dashboard: server-rendered pages under /admin over the same services."""

from townhall.dashboard.app import build_dashboard

__all__ = ["build_dashboard"]
