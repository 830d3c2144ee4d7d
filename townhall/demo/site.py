"""The sample news site `townhall demo` serves beside the comment server, on the same port."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from townhall.demo.content import article_url, load

_templates = Environment(loader=PackageLoader("townhall.demo", "site"), autoescape=select_autoescape())


def routes(site_id: str, base_url: str) -> list[BaseRoute]:
    articles, _comments = load()
    by_slug = {a.slug: a for a in articles}
    page = _templates.get_template("page.html")

    async def index(_request: Request) -> HTMLResponse:
        return HTMLResponse(page.render(article=None, articles=articles, site_id=site_id, base_url=base_url))

    async def story(request: Request) -> HTMLResponse:
        article = by_slug.get(request.path_params["slug"])
        if article is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        url = article_url(base_url, article.slug)
        return HTMLResponse(page.render(article=article, url=url, site_id=site_id, base_url=base_url))

    return [Route("/", index), Route("/news/{slug}", story)]
