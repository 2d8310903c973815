"""Exceptions of the IA service, rooted in one base class."""

from __future__ import annotations


class IAError(Exception):
    """Base of every IA service exception."""


class StoreUnavailable(IAError):
    """Elasticsearch rejected forecast documents for good (e.g. a mapping conflict).

    Raised by `store`; the scheduler logs it like cryptoviz_core.retry.GaveUp
    (Elasticsearch kept failing), skips the rest of the cycle and tries again at
    the next one (every write is idempotent).
    """


class NoData(IAError):
    """A coin has no quotes or predictions to show. Raised by the chart command; exit 2."""
