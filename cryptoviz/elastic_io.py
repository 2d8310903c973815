"""Thin I/O over elasticsearch-py for `status`: health, document counts, newest values.

Core APIs only (cat, count, a max aggregation): the local node has no x-pack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from cryptoviz.exceptions import CliError
from cryptoviz_core.elastic import connect
from cryptoviz_core.settings import ServiceSettings


class Elastic:
    """The command's Elasticsearch client; no request until first used."""

    def __init__(self, settings: ServiceSettings, timeout_s: float) -> None:
        self.address = settings.elasticsearch_url
        # One attempt per call: a command reports at once instead of retrying behind the user.
        self.client: Elasticsearch = connect(
            settings, request_timeout=timeout_s, max_retries=0, retry_on_timeout=False
        )

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turns elasticsearch-py's errors into one line naming the URL."""
        try:
            yield
        except TransportConnectionError as err:
            raise CliError(
                f"cannot reach Elasticsearch at {self.address} (ELASTICSEARCH_URL): {err.message}"
            ) from None
        except ApiError as err:
            raise CliError(
                f"Elasticsearch at {self.address} answered {err.status_code}: {err.message}"
            ) from None
        except TransportError as err:
            raise CliError(f"Elasticsearch at {self.address}: {err.message}") from None

    def health(self) -> str:
        """The cluster's health colour: green, yellow or red."""
        with self.errors():
            return str(self.client.cluster.health(timeout="2s")["status"])

    def documents(self, patterns: list[str]) -> dict[str, int]:
        """Documents per index matching ``patterns``, by index name."""
        with self.errors():
            rows = self.client.cat.indices(
                index=",".join(patterns),
                format="json",
                h="index,docs.count",
                expand_wildcards="open",
            )
        return {str(row["index"]): int(row["docs.count"] or 0) for row in list(rows.body)}

    def newest(self, index: str, field: str) -> datetime | None:
        """The latest value of the date ``field`` in ``index`` (a pattern); None when empty."""
        with self.errors():
            found = self.client.search(
                index=index,
                size=0,
                aggs={"newest": {"max": {"field": field}}},
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        text = found.get("aggregations", {}).get("newest", {}).get("value_as_string")
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    def count(self, index: str) -> int:
        with self.errors():
            found = self.client.count(index=index, ignore_unavailable=True, allow_no_indices=True)
        return int(found["count"])

    def close(self) -> None:
        self.client.close()
