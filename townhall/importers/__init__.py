"""Importers: read another comment system's export and yield Townhall's import records.

Each source module has one job — turn its format into :mod:`records` — and never touches
storage; :class:`townhall.services.imports.ImportService` writes what they yield.
"""

from __future__ import annotations

from townhall.importers.records import Record, Skipped, SourceAuthor, SourceComment, SourceStory

__all__ = ["Record", "Skipped", "SourceAuthor", "SourceComment", "SourceStory"]
