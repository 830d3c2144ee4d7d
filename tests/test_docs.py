"""The docs are tested: every setting, API route and CLI command is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click

from townhall.cli import main
from townhall.config import describe, markdown_table

DOCS = Path(__file__).parent.parent / "docs"


def test_the_settings_reference_is_current() -> None:
    text = (DOCS / "settings.md").read_text()
    assert markdown_table() in text, "regenerate with `townhall config describe --markdown`"
    for name, _default, _help in describe():
        assert f"`{name}`" in text


def test_every_api_route_is_in_the_api_reference() -> None:
    from fastapi.routing import APIRoute

    from townhall.api import admin, moderation, public

    text = (DOCS / "api.md").read_text()
    for router in (public.router, admin.router, moderation.router):
        for route in router.routes:
            assert isinstance(route, APIRoute)
            documented = re.sub(r"\{[^}]+\}", "{", route.path)
            flattened = re.sub(r"\{[^}]+\}", "{", text)
            assert documented.removeprefix("/admin") in flattened, f"{route.path} is not in docs/api.md"


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
    return names


def test_the_cli_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_cli", DOCS / "gen_cli.py")
    assert spec and spec.loader
    gen_cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_cli)
    text = (DOCS / "cli.md").read_text()
    assert gen_cli.render() == text, "regenerate with `python docs/gen_cli.py > docs/cli.md`"
    for name in _commands(main):
        assert f"townhall {name}" in text
