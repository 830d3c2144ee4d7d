"""The REST API under /api/v1, with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from townhall import __version__
from townhall.api import admin, errors, moderation, public
from townhall.api.middleware import BodyLimit, SiteCors
from townhall.api.security import optional_sign_in
from townhall.api.state import ApiState

__all__ = ["ApiState", "build_api"]


def build_api(state: ApiState) -> FastAPI:
    api = FastAPI(
        title="Townhall API",
        version=__version__,
        description="Comments for news sites, with moderation that reads the article.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.townhall = state
    errors.install(api)
    api.include_router(public.router)
    api.include_router(admin.router)
    api.include_router(moderation.router)
    optional_sign_in(api)
    # The last added runs first: CORS outermost, so a browser can read even a 413.
    api.add_middleware(BodyLimit, limit=state.services.config.max_body_bytes)
    api.add_middleware(
        SiteCors, origins=state.all_origins, changes=lambda: state.services.sites.origins_changed
    )
    return api
