"""Logging set-up for the server: plain text or one JSON object a line, each with its request id."""

from __future__ import annotations

import logging
from typing import Any

from townhall.ops.requests import REQUEST_ID

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for Townhall and uvicorn (its access log included)."""
    if fmt == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "townhall",
        "filters": ["request_id"],
        "stream": "ext://sys.stdout",
    }
    shared = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"townhall": formatter},
        "handlers": {"default": handler},
        "loggers": {"townhall": shared, "uvicorn": shared, "uvicorn.error": {"level": level.upper()}},
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
