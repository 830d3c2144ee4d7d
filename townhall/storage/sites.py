"""Sites and their API keys."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from townhall.models import Site, SiteSettings
from townhall.storage import _rows
from townhall.storage.schema import api_keys, sites


class SiteRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def get(self, site_id: str) -> Site | None:
        row = self.c.execute(select(sites).where(sites.c.id == site_id)).mappings().first()
        return _rows.site(row) if row else None

    def list(self) -> list[Site]:
        rows = self.c.execute(select(sites).order_by(sites.c.id)).mappings()
        return [_rows.site(row) for row in rows]

    def insert(
        self, site_id: str, name: str, origins: builtins.list[str], settings: SiteSettings, now: datetime
    ) -> None:
        self.c.execute(
            insert(sites).values(
                id=site_id, name=name, origins=origins, settings=settings.to_dict(), created_at=now
            )
        )

    def update(self, site_id: str, **values: Any) -> None:
        if "settings" in values:
            values["settings"] = values["settings"].to_dict()
        if "origins" in values:
            values["origins"] = list(values["origins"])
        self.c.execute(update(sites).where(sites.c.id == site_id).values(**values))

    def add_key(self, site_id: str, prefix: str, key_hash: str, label: str, now: datetime) -> int:
        result = self.c.execute(
            insert(api_keys).values(
                site_id=site_id, prefix=prefix, key_hash=key_hash, label=label, created_at=now
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def site_for_key(self, key_hash: str) -> str | None:
        query = select(api_keys.c.site_id).where(
            api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
        )
        return self.c.execute(query).scalar()

    def keys(self, site_id: str) -> builtins.list[dict[str, Any]]:
        query = (
            select(
                api_keys.c.id,
                api_keys.c.prefix,
                api_keys.c.label,
                api_keys.c.created_at,
                api_keys.c.revoked_at,
            )
            .where(api_keys.c.site_id == site_id)
            .order_by(api_keys.c.id)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def revoke_key(self, site_id: str, key_id: int, now: datetime) -> bool:
        result = self.c.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.site_id == site_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1
