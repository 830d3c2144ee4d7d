"""Accounts limited to some sites see and act only there.

Checked once, in the route guard, before any handler runs: every comment, author and story a
request names (in its path, query or body) must belong to one of the account's sites, or the
request is answered as if the thing did not exist (404). A limited account's request that names
no site is given its first site, so lists and counts never mix in another site's comments.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request

from townhall.dashboard.context import services_of, session_of
from townhall.dashboard.forms import int_param
from townhall.errors import NotFound
from townhall.i18n import N_
from townhall.models import Site
from townhall.services import Services

# What a limited account is told of another site's comment, author or story: that it does not exist.
MISSING = {"comment": N_("no comment {id}"), "author": N_("no author {id}"), "story": N_("no story {id}")}


def visible_sites(request: Request) -> list[Site]:
    user = session_of(request).user
    return [site for site in services_of(request).sites.list() if user.can_see(site.id)]


def _site_of(services: Services, kind: str, ident: int) -> str:
    if kind == "comment":
        return services.stories.get(services.comments.get(ident).story_id).site_id
    if kind == "story":
        return services.stories.get(ident).site_id
    return str(services.queue.author(ident).author.get("site_id"))


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [ident for ident in (int_param(v) for v in values) if ident is not None]


def check(request: Request) -> None:
    """Refuse what lies outside a limited account's sites; give a site-less request its first site."""
    user = session_of(request).user
    if not user.sites:
        return
    services = services_of(request)
    query = QueryParams(request.scope.get("query_string", b"").decode("latin-1"))
    body: dict[str, Any] = request.state.body
    named: list[tuple[str, int]] = []
    for kind, key in (("comment", "comment_id"), ("author", "author_id"), ("story", "story_id")):
        if key in request.path_params:
            named.append((kind, int(request.path_params[key])))
    named += [("story", i) for i in _ids(query.get("story"))] + [
        ("author", i) for i in _ids(query.get("author"))
    ]
    named += [
        ("comment", i) for key in ("ids", "ids[]", "comment_id", "selected") for i in _ids(body.get(key))
    ]
    named += [("comment", i) for i in _ids(query.get("selected"))]
    for kind, ident in named:
        if not user.can_see(_site_of(services, kind, ident)):
            raise NotFound(MISSING[kind], code=f"unknown_{kind}", params={"id": ident})
    for given in (query.get("site"), body.get("site")):
        if given and not user.can_see(str(given)):
            raise NotFound("no site '{site}'", code="unknown_site", params={"site": given})
    if not query.get("site"):
        request.scope["query_string"] = urlencode([*query.multi_items(), ("site", user.sites[0])]).encode()
        request.__dict__.pop("_query_params", None)
    if request.method == "POST" and not body.get("site"):
        body["site"] = user.sites[0]
