"""Regenerate docs/cli.md from the CLI's own help: `python docs/gen_cli.py > docs/cli.md`."""

from __future__ import annotations

import sys

import click

from townhall.cli import main

HEADER = """# Command line

`townhall --help` and `townhall COMMAND --help` print the same text; this page is generated
from it (`python docs/gen_cli.py > docs/cli.md`), and a test checks that it is current.

Global options: `--config FILE` (TOML settings), `--database-url URL`.

Commands that work within one site take it as `--site ID` (`key`, `story`, `webhook`, `import`,
`reader`, `moderate`); the `site` commands take the site they act on as their argument. The
older form with the site first (`key create ledger`) still works. Every command but `migrate`
(and `restore`) refuses a SQLite path that does not exist, so a typo never leaves an empty
database file behind.
"""


def _walk(group: click.Group, prefix: str, out: list[str]) -> None:
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out.append(f"## `{full}`\n\n{(command.help or '').strip()}\n")
            _walk(command, full, out)
            continue
        usage = command.get_usage(click.Context(command, info_name=full)).replace("Usage: ", "")
        out.append(f"### `{full}`\n\n{(command.help or '').strip()}\n\n```\n{usage}\n```\n")
        options = [p for p in command.params if isinstance(p, click.Option) and p.help]
        if options:
            out.extend(f"- `{'/'.join(p.opts)}`: {p.help}" for p in options)
            out.append("")


def render() -> str:
    out = [HEADER]
    _walk(main, "townhall", out)
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
