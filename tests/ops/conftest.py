"""The API's fixtures (the app in process with a site, an API key and an SSO secret), reused here."""

from tests.api.conftest import (  # noqa: F401 - fixtures
    api_key,
    api_services,
    app,
    client,
    ledger,
    migrated_sqlite,
    sso_secret,
)
