"""The OpenAPI document at /api/v1/openapi.json describes every route the API has."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from townhall import __version__
from townhall.api import admin, moderation, public


def _declared() -> set[tuple[str, str]]:
    return {
        (route.path, method.lower())
        for router in (public.router, admin.router, moderation.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_openapi_lists_every_route_with_its_methods(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert _declared() == listed
    assert len(listed) >= 14


def test_openapi_has_a_title_version_and_a_summary_for_every_operation(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Townhall API" and document["info"]["version"] == __version__
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)


def test_openapi_describes_the_request_bodies(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"NewComment", "EditComment", "NewVote", "NewReport", "StoryPush", "SiteSettingsChange"} <= set(
        schemas
    )
    assert schemas["NewComment"]["properties"]["website"]["description"].startswith("Honeypot")
    assert "author_email" in schemas["NewComment"]["properties"]


def test_openapi_is_served_to_any_caller_without_a_key(client: TestClient) -> None:
    assert client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_security_schemes_are_declared(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "th_…",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["SsoToken"]["in"] == "header" and schemes["SsoToken"]["name"] == "X-Townhall-SSO"
    assert schemes["ReaderToken"]["name"] == "X-Townhall-Reader"
    paths = document["paths"]
    for path, operations in paths.items():
        for operation in operations.values():
            if path.startswith("/admin/"):
                assert operation["security"] == [{"ApiKey": []}], path
    # Posting: a guest needs nothing, a signed-in reader sends the SSO token.
    assert {} in paths["/comments"]["post"]["security"]
    assert {"SsoToken": []} in paths["/comments"]["post"]["security"]
    assert paths["/comments/{comment_id}/votes"]["post"]["security"] == [{"ReaderToken": []}]
    assert "security" not in paths["/threads"]["get"]
