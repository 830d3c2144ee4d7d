"""The reads every post makes stay as cheap under a story with thousands of comments as under a
new one: SQLite's plan for them walks an index and stops, instead of sorting the whole thread."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.dialects import sqlite

from townhall.storage import Storage
from townhall.storage.comments import _THREAD_TEXTS, _THREAD_TEXTS_BEFORE


def _plan(storage: Storage, statement: Select[Any], params: dict[str, Any]) -> str:
    compiled = statement.compile(dialect=sqlite.dialect())
    values = {**compiled.params, **params}
    arguments = tuple(values[name] for name in compiled.positiontup or ())
    with storage.read() as tx:
        rows = tx.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", arguments)
        return " | ".join(str(row[-1]) for row in rows)


def test_a_storys_latest_comments_are_read_without_sorting_them_all(sqlite_storage: Storage) -> None:
    params = {"p_story": 1, "p_limit": 20, "p_before": 10}
    for statement in (_THREAD_TEXTS, _THREAD_TEXTS_BEFORE):
        plan = _plan(sqlite_storage, statement, params)
        assert "ix_comments_story_id_status_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # a sort of every published comment of the story
