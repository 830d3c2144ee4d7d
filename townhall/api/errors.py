"""One JSON error shape for every failure: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from townhall import errors, i18n
from townhall.api import validation
from townhall.api.language import language
from townhall.api.shape import FastJSONResponse
from townhall.i18n import N_

log = logging.getLogger(__name__)

STATUS = {
    errors.Invalid: 422,
    errors.NotFound: 404,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Closed: 409,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.RateLimited: 429,
}


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> FastJSONResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return FastJSONResponse(body, status_code=status)


def status_for(exc: errors.TownhallError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _domain(request: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, errors.TownhallError)
    lang = language(request)
    message = i18n.gettext(lang, exc.template, **exc.params)
    fields = {name: i18n.gettext(lang, text) for name, text in exc.fields.items()}
    return error_response(status_for(exc), exc.code, message, fields)


async def _validation(request: Request, exc: Exception) -> FastJSONResponse:
    """A badly typed field: each field's note and the message in the request's language (the
    widget sends its page's), in the one error shape."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    lang = language(request)
    if any(p.get("type") == "json_invalid" for p in problems) or not problems:
        return error_response(400, "bad_json", i18n.gettext(lang, N_("request body is not valid JSON")))
    readers = "/admin/" not in request.url.path  # integrators read the admin API's field names
    fields, message = validation.fields_and_message(lang, list(problems), readers)
    return error_response(422, "invalid", message, fields)


async def _http(_request: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
    }
    response = error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> FastJSONResponse:
    log.exception("unexpected error", exc_info=exc)
    message = i18n.gettext(language(request), N_("something went wrong on our side; it has been logged"))
    return error_response(500, "internal", message)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.TownhallError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
