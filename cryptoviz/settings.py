"""Settings of the operator command: the services' own, plus a few ``CLI_*`` knobs.

The command works on what the indexer works on, so it reads the indexer's
settings (``INDEXER_TOPIC``, ``INDEXER_CONSUMER_GROUP``…) with the shared
connection fields, TLS and SASL included, and the IA's index names
(``IA_PREDICTIONS_INDEX``…); only what no service has is ``CLI_*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from cryptoviz.exceptions import CliError
from cryptoviz_core.names import METRICS_INDEX, PREDICTIONS_INDEX
from cryptoviz_core.settings import ServiceSettings
from indexer_service.settings import IndexerSettings


class CliSettings(ServiceSettings):
    """The command's own settings, ``CLI_`` plus the field name. Frozen."""

    model_config = SettingsConfigDict(env_prefix="CLI_")

    zookeeper_connect: str | None = Field(
        default=None,
        description="ZooKeeper nodes, host:port comma-separated; unset: asked from the broker.",
    )
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Timeout of each Kafka, Elasticsearch or ZooKeeper request, in seconds.",
    )
    # A scraper publishes every SCRAPER_INTERVAL_S (60 s): five intervals without
    # a quote means it is down or refused, as its container healthcheck says.
    scraper_max_age_s: float = Field(
        default=300.0,
        gt=0,
        description="Status calls the scraper down when the newest quote is older, in s.",
    )
    # The IA issues forecasts every IA_INTERVAL_MIN (5) minutes.
    ia_max_age_s: float = Field(
        default=900.0,
        gt=0,
        description="Status calls the IA down when the newest forecast is older, in s.",
    )


class ForecastIndices(BaseSettings):
    """Where the IA writes, read from the IA's own variables (documented with its settings).

    Not the IA's settings class itself: that one needs pandas, which the image
    carrying this command (the indexer's) leaves out.
    """

    model_config = SettingsConfigDict(
        env_prefix="IA_", env_file=".env", extra="ignore", frozen=True
    )

    predictions_index: str = Field(default=PREDICTIONS_INDEX, description="Index of forecasts.")
    metrics_index: str = Field(default=METRICS_INDEX, description="Index of forecast scores.")


@dataclass(frozen=True)
class Settings:
    """Everything the command reads, once, from the environment and ``.env``."""

    cli: CliSettings
    indexer: IndexerSettings
    forecasts: ForecastIndices

    @classmethod
    def load(cls) -> Settings:
        """Raises CliError naming each bad variable."""
        return cls(_read(CliSettings), _read(IndexerSettings), _read(ForecastIndices))


S = TypeVar("S", bound=BaseSettings)


def _read(settings_class: type[S]) -> S:
    try:
        return settings_class()
    except ValidationError as err:
        problems = "; ".join(
            f"{variable(settings_class, str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}"
            for e in err.errors()
        )
        raise CliError(f"invalid settings: {problems}") from None


def variable(settings_class: type[BaseSettings], name: str) -> str:
    """The environment variable a field is read from (``name`` itself if not a field)."""
    field = settings_class.model_fields.get(name)
    if field is None:
        return name
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"{settings_class.model_config.get('env_prefix', '')}{name}".upper()
