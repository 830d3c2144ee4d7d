"""An origin belongs to one site, and a site's key or editor cannot point it at a private address."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.api.conftest import assert_error
from tests.conftest import ORIGIN
from townhall.cli import main
from townhall.config import ConfigError, load
from townhall.errors import Conflict
from townhall.services import Services

PRIVATE = [
    "http://127.0.0.1:8000",
    "http://localhost",
    "http://admin.localhost",
    "http://10.1.2.3",
    "http://172.16.0.9",
    "http://192.168.1.1",
    "http://169.254.169.254",  # cloud metadata
    "http://0.0.0.0",
    "http://100.64.0.1",  # carrier-grade NAT
    "http://[::1]",
    "http://[fd00::1]",
    "http://[fe80::1]",
    "http://[::ffff:127.0.0.1]",
    "http://[::ffff:169.254.169.254]",
]


def _patch(client: TestClient, key: str, origins: list[str]) -> object:
    return client.patch(
        "/api/v1/admin/site", json={"origins": origins}, headers={"Authorization": f"Bearer {key}"}
    )


@pytest.mark.parametrize("origin", PRIVATE)
def test_a_site_key_cannot_set_a_private_origin(
    client: TestClient, api_key: str, api_services: Services, origin: str
) -> None:
    error = assert_error(_patch(client, api_key, [ORIGIN, origin]), 403, "private_origin")  # type: ignore[arg-type]
    assert "origins" in error["fields"] and "allow_private_origins" in error["message"]
    assert api_services.sites.get("ledger").origins == (ORIGIN,)


def test_public_origins_are_still_accepted(client: TestClient, api_key: str) -> None:
    response = _patch(client, api_key, [ORIGIN, "https://www.news.example", "http://93.184.215.14"])
    assert response.status_code == 200  # type: ignore[attr-defined]


def test_the_operator_may_allow_private_origins(api_services: Services) -> None:
    api_services.sites.allow_private_origins = True
    assert api_services.sites.add("dev", "Dev", ["https://dev.example"]).origins
    assert api_services.sites.set_origins("dev", ["http://127.0.0.1:8000"]).origins == (
        "http://127.0.0.1:8000",
    )


def test_another_sites_origin_is_refused_through_the_admin_api(
    client: TestClient, api_key: str, api_services: Services
) -> None:
    api_services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    error = assert_error(_patch(client, api_key, ["https://gazette.example"]), 409, "origin_taken")  # type: ignore[arg-type]
    assert "gazette" in error["message"]
    assert api_services.sites.get("ledger").origins == (ORIGIN,)
    with pytest.raises(Conflict, match="already belongs to site 'ledger'"):
        api_services.sites.add("shadow", "Shadow", [ORIGIN])
    with pytest.raises(Conflict):
        api_services.sites.ensure("gazette", "The Gazette", ["https://gazette.example", ORIGIN])


def test_the_cli_refuses_another_sites_origin_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", url, "migrate"]).exit_code == 0
    args = ["--database-url", url, "site", "add"]
    assert runner.invoke(main, [*args, "ledger", "--name", "The Ledger", "--origin", ORIGIN]).exit_code == 0
    shadow = runner.invoke(main, [*args, "shadow", "--name", "Shadow", "--origin", ORIGIN])
    assert shadow.exit_code == 1
    assert shadow.output.startswith("Error: ") and "already belongs to site 'ledger'" in shadow.output


def test_a_config_file_may_not_give_one_origin_to_two_sites(tmp_path: Path) -> None:
    config = tmp_path / "townhall.toml"
    config.write_text(
        '[[site]]\nid = "ledger"\nname = "The Ledger"\norigins = ["https://news.example"]\n'
        '[[site]]\nid = "shadow"\nname = "Shadow"\norigins = ["https://NEWS.example/"]\n'
    )
    with pytest.raises(ConfigError, match="https://news.example is declared for both 'ledger' and 'shadow'"):
        load(config)
