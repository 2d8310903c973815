"""Settings of the operator command: the services' own, plus a few ``CLI_*`` knobs.

The command works on what the indexer works on, so it reads the indexer's
settings (``INDEXER_TOPIC``, ``INDEXER_CONSUMER_GROUP``…) and the shared
connection fields, TLS and SASL included; only what no service has is ``CLI_*``.
"""

from __future__ import annotations

from pydantic import Field

from cryptoviz_core.names import METRICS_INDEX, PREDICTIONS_INDEX
from cryptoviz_core.settings import ServiceSettings
from indexer_service.settings import IndexerSettings


def _env(name: str) -> str:
    return f"CLI_{name}"


class CliSettings(ServiceSettings):
    """What the command reads besides the indexer's settings. Frozen."""

    # The IA's own variable: status counts forecasts where the IA writes them.
    predictions_index: str = Field(
        default=PREDICTIONS_INDEX,
        validation_alias="IA_PREDICTIONS_INDEX",
        description="Index of the forecasts (the IA's variable, read by `cryptoviz status`).",
    )
    metrics_index: str = Field(
        default=METRICS_INDEX,
        validation_alias="IA_METRICS_INDEX",
        description="Index of the forecast scores (the IA's variable, read by `cryptoviz status`).",
    )
    zookeeper_connect: str | None = Field(
        default=None,
        validation_alias=_env("ZOOKEEPER_CONNECT"),
        description="ZooKeeper nodes, host:port comma-separated; unset: asked from the broker.",
    )
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=120,
        validation_alias=_env("TIMEOUT_S"),
        description="Timeout of each Kafka, Elasticsearch or ZooKeeper request, in seconds.",
    )
    # A scraper publishes every SCRAPER_INTERVAL_S (60 s): five intervals without
    # a quote means it is down or refused, as its container healthcheck says.
    scraper_max_age_s: float = Field(
        default=300.0,
        gt=0,
        validation_alias=_env("SCRAPER_MAX_AGE_S"),
        description="Status calls the scraper down when the newest quote is older, in s.",
    )
    # The IA issues forecasts every IA_INTERVAL_MIN (5) minutes.
    ia_max_age_s: float = Field(
        default=900.0,
        gt=0,
        validation_alias=_env("IA_MAX_AGE_S"),
        description="Status calls the IA down when the newest forecast is older, in s.",
    )


def load() -> tuple[CliSettings, IndexerSettings]:
    """Both settings objects, read once from the environment and ``.env``."""
    return CliSettings(), IndexerSettings()
