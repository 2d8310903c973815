"""The indexer's exceptions. Each says who raises it and what the caller does."""

from __future__ import annotations


class IndexerError(Exception):
    """Root of the indexer's own exceptions."""


class GaveUp(IndexerError):
    """Raised by the writer or the dead-letter producer once retries are exhausted.

    The service stops without committing the batch: its records are still in
    Kafka and are written again after a restart (ids make that idempotent).
    """


class Interrupted(IndexerError):
    """Raised while backing off when a stop was requested (SIGTERM).

    The service closes without committing the batches in flight.
    """
