"""Atom feeds: GET /feeds/{site}.atom, /feeds/{site}/stories/{id}.atom and /feeds/{site}/story.atom?url=."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from townhall.api.errors import error_response, status_for
from townhall.errors import NotFound, TownhallError
from townhall.services import Services

ATOM = "application/atom+xml; charset=utf-8"
MAX_AGE = 300  # seconds readers' feed programs and proxies may keep a feed


def feed_routes(services: Services) -> list[BaseRoute]:
    feeds = services.feeds

    def self_url(request: Request) -> str:
        base = services.config.public_url
        if not base:
            return str(request.url)
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{base}{request.url.path}{query}"

    def build(request: Request) -> bytes:
        site = services.sites.get(request.path_params["site"])
        if "story_id" in request.path_params:
            story_id = request.path_params["story_id"]
            if story_id >= 2**31:  # no such id fits the column
                raise NotFound(f"no story {story_id}", code="unknown_story")
            story = services.stories.get(story_id)
            return feeds.story_feed(site, story, self_url(request))
        if request.url.path.endswith("/story.atom"):
            url = request.query_params.get("url", "")
            if not url or len(url) > 2048:
                raise NotFound("give the story's page address as ?url=", code="unknown_story")
            return feeds.story_feed(site, feeds.story_by_url(site, url), self_url(request))
        return feeds.site_feed(site, self_url(request))

    async def serve(request: Request) -> Response:
        try:
            data = await run_in_threadpool(build, request)
        except TownhallError as exc:
            return error_response(status_for(exc), exc.code, exc.message, exc.fields)
        return Response(data, media_type=ATOM, headers={"Cache-Control": f"public, max-age={MAX_AGE}"})

    return [
        Route("/feeds/{site:str}.atom", serve),
        Route("/feeds/{site:str}/story.atom", serve),
        Route("/feeds/{site:str}/stories/{story_id:int}.atom", serve),
    ]
