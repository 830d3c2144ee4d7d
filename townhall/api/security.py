"""The credentials the API takes, declared as OpenAPI security schemes.

Routes still check credentials themselves (the admin key before the body is read; reader and
SSO tokens where they are used); these declarations put them in the OpenAPI document, so
integrators' tools and generated clients know what to send.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.security import APIKeyHeader, HTTPBearer

API_KEY = HTTPBearer(
    scheme_name="ApiKey",
    bearerFormat="th_…",
    description="A site's API key (`townhall key create SITE`), as `Authorization: Bearer th_…`.",
    auto_error=False,
)
SSO_TOKEN = APIKeyHeader(
    name="X-Townhall-SSO",
    scheme_name="SsoToken",
    description="Optional: the publisher-signed sign-in token (JWT, HS256) of a signed-in reader; "
    "the same as the body's `sso_token`. Without it the comment is a guest's.",
    auto_error=False,
)
READER_TOKEN = APIKeyHeader(
    name="X-Townhall-Reader",
    scheme_name="ReaderToken",
    description="The random token the widget keeps for a reader (16 to 128 characters): "
    "one vote or report per reader, and a guest's comments tied together.",
    auto_error=False,
)


def optional_sign_in(api: FastAPI) -> None:
    """Mark the SSO token optional in the document: a guest posts without it (``{}`` = no credentials)."""
    build = api.openapi

    def document() -> dict[str, Any]:
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                needs = operation.get("security")
                if needs and {"SsoToken": []} in needs and {} not in needs:
                    operation["security"] = [{}, *needs]
        return schema

    api.openapi = document  # type: ignore[method-assign]
