"""English, German and French stay complete: each catalogue template (.pot) is what `make messages`
extracts from the code today, and every msgid in it has a German and a French translation that is
not empty, not fuzzy, and keeps the msgid's placeholders."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from townhall import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "townhall" / "locale"
PLACEHOLDERS = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=lang)


def _extract_commands() -> dict[str, list[str]]:
    """The Makefile's `pybabel extract` command for each domain, as its argument list."""
    recipe = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    commands = {}
    for line in recipe.splitlines():
        if "pybabel extract" in line:
            args = shlex.split(line.split("pybabel", 1)[1])
            domain = Path(args[args.index("-o") + 1]).stem
            commands[domain] = args
    return commands


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDERS.findall(text)}


def test_the_makefile_extracts_every_domain() -> None:
    assert set(_extract_commands()) == set(i18n.DOMAINS)


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_each_template_is_what_the_code_marks_today(domain: str, tmp_path: Path, monkeypatch) -> None:
    args = _extract_commands()[domain]
    out = tmp_path / f"{domain}.pot"
    args[args.index("-o") + 1] = str(out)
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(["pybabel", "-q", *args])
    fresh = {m.id for m in _read(out) if m.id}
    committed = {m.id for m in _read(LOCALE / f"{domain}.pot") if m.id}
    assert fresh - committed == set(), f"marked in the code but not in {domain}.pot: run `make messages`"
    assert committed - fresh == set(), f"in {domain}.pot but no longer in the code: run `make messages`"


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_every_msgid_has_a_translation_with_its_placeholders(domain: str, lang: str) -> None:
    template = [m for m in _read(LOCALE / f"{domain}.pot") if m.id]
    assert len(template) > 20
    po = _read(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po", lang)
    plurals = po.num_plurals
    for wanted in template:
        found = po.get(wanted.id)
        assert found is not None, f"{lang}/{domain}.po has no entry for {wanted.id!r}"
        assert not found.fuzzy, f"{lang}/{domain}.po: fuzzy {wanted.id!r}"
        if isinstance(wanted.id, tuple):
            forms = list(found.string)
            assert len(forms) == plurals and all(forms), f"{lang}/{domain}.po: plural forms of {wanted.id!r}"
            allowed = _placeholders(wanted.id[1]) | _placeholders(wanted.id[0])
            for form in forms:
                assert _placeholders(form) <= allowed, (lang, domain, wanted.id, form)
        else:
            assert isinstance(found.string, str) and found.string.strip(), (
                f"{lang}/{domain}.po: {wanted.id!r}"
            )
            assert _placeholders(found.string) == _placeholders(wanted.id), (lang, domain, wanted.id)
