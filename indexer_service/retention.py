"""Retention: which daily indices are past their age, and deleting them.

Runs in the service rather than through ILM so it works on every cluster,
including ones without x-pack. Only names that parse exactly as
``<prefix>-YYYY.MM.DD`` are ever considered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, timedelta

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

log = logging.getLogger(__name__)


def index_day(prefix: str, name: str) -> date | None:
    """The UTC day of daily index ``name``, or None if it is not one of ``prefix``'s.

    The inverse of `indexer_service.documents.index_name`.
    """
    match = re.fullmatch(rf"{re.escape(prefix)}-(\d{{4}}\.\d{{2}}\.\d{{2}})", name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1).replace(".", "-"))
    except ValueError:  # e.g. 2026.02.30
        return None


def expired_indices(
    prefix: str, names: Iterable[str], today: date, retention_days: int
) -> list[str]:
    """Daily indices whose day is more than ``retention_days`` days before ``today``.

    With 30 days on 2026-11-28, 2026-10-29 is kept and 2026-10-28 is expired.
    """
    cutoff = today - timedelta(days=retention_days)
    expired = []
    for name in names:
        day = index_day(prefix, name)
        if day is not None and day < cutoff:
            expired.append(name)
    return sorted(expired)


def delete_expired(
    client: Elasticsearch, prefix: str, today: date, retention_days: int
) -> list[str]:
    """Delete the expired daily indices of ``prefix``; return their names.

    Names are listed explicitly (no wildcard delete, which clusters may forbid).
    Raises elasticsearch errors; the caller logs them and tries again later.
    """
    names = client.indices.get(index=f"{prefix}-*", expand_wildcards="open,closed").body.keys()
    expired = expired_indices(prefix, names, today, retention_days)
    if expired:
        client.indices.delete(index=",".join(expired))
        log.info(
            "deleted expired indices", extra={"indices": expired, "retention_days": retention_days}
        )
    return expired


class Retention:
    """Periodic retention for one prefix; errors are logged and retried next time."""

    def __init__(self, client: Elasticsearch, prefix: str, retention_days: int) -> None:
        self._client = client
        self.prefix = prefix
        self.retention_days = retention_days

    def run(self, today: date) -> list[str]:
        """Delete expired indices; return their names ([] also when Elasticsearch failed)."""
        try:
            return delete_expired(self._client, self.prefix, today, self.retention_days)
        except (ApiError, TransportError) as err:
            log.warning(
                "retention failed, will retry", extra={"error": f"{type(err).__name__}: {err}"}
            )
            return []
