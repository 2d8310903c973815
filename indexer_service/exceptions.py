"""The indexer's exceptions. Each says who raises it and what the caller does."""

from __future__ import annotations


class IndexerError(Exception):
    """Root of the indexer's own exceptions."""


class Interrupted(IndexerError):
    """Raised while backing off when a stop was requested (SIGTERM).

    The service closes without committing the batches in flight.
    """
