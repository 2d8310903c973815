"""Default names of what the services share on Kafka and Elasticsearch, defined once.

Each service's settings take their defaults from here (its own variable can
override one), and the operator command (`cryptoviz`) reads the same names.
"""

from __future__ import annotations

QUOTES_TOPIC = "crypto.quotes"
DLQ_TOPIC = "crypto.quotes.dlq"
INDEXER_GROUP = "cryptoviz-indexer"
# Daily quote indices are ``<prefix>-YYYY.MM.DD``.
QUOTES_INDEX_PREFIX = "crypto-quotes"
PREDICTIONS_INDEX = "crypto-predictions"
METRICS_INDEX = "crypto-forecast-metrics"


def quotes_index_pattern(prefix: str = QUOTES_INDEX_PREFIX) -> str:
    """The pattern matching every daily quote index of ``prefix``."""
    return f"{prefix}-*"
