"""IA service settings: every tunable is named, typed and explained once.

Environment variables are ``IA_`` plus the field name (``IA_STEP=1h``,
``IA_HORIZON=12``); shared fields (``ELASTICSEARCH_URL``...) come from
`ServiceSettings`.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from cryptoviz_core.names import METRICS_INDEX, PREDICTIONS_INDEX, quotes_index_pattern
from cryptoviz_core.settings import ServiceSettings

MODEL_NAMES = ("naive", "drift", "ets")


class IASettings(ServiceSettings):
    """Frozen settings of the IA service, read once at start-up."""

    model_config = SettingsConfigDict(env_prefix="IA_")

    interval_min: float = Field(
        default=5.0, gt=0, description="Minutes between two cycles of `python -m ia_module`."
    )
    # So that the first forecasts follow the first quotes (a first start, an empty
    # index) instead of waiting a whole interval more.
    warmup_interval_s: float = Field(
        default=15.0,
        gt=0,
        description=(
            "Seconds between cycles while there is no quote yet or some coin has too few"
            " to forecast; never more than IA_INTERVAL_MIN."
        ),
    )
    # Quotes are resampled to one price per step.
    step: str = Field(
        default="5min", description="Forecast grid step (fixed pandas duration: 5min, 1h)."
    )
    horizon: int = Field(
        default=12, ge=1, le=288, description="Forecast horizon in steps (12 x 5min = 1 h ahead)."
    )
    history_hours: float = Field(
        default=24.0,
        gt=0,
        description="History read per cycle and training window, in hours.",
    )
    min_points: int = Field(
        default=24,
        ge=3,
        description="Grid points since the last long gap drift and ETS need; fewer: naive only.",
    )
    # A longer gap splits the history (segments), and a coin whose last quote is
    # older than this many steps is treated as gone from the listing.
    max_gap_steps: int = Field(
        default=3, ge=0, description="Consecutive missing grid steps forward-filled."
    )
    # Fewer than 5 can never show the evidence a model needs to replace naive
    # (backtest.SELECT_MIN_ORIGINS): naive is then always chosen.
    backtest_origins: int = Field(
        default=6,
        ge=1,
        le=50,
        description="Rolling-origin backtest origins used to choose each coin's model.",
    )
    # naive is always added because MASE is scaled by it.
    models: tuple[str, ...] = Field(
        default=MODEL_NAMES, description="Models forecast each cycle (JSON list)."
    )
    retention_days: float = Field(
        default=7.0,
        gt=0,
        description="Predictions and metrics older than this many days are purged.",
    )
    score_window_hours: float = Field(
        default=24.0,
        gt=0,
        description="Window over which matured predictions are scored into metrics, in hours.",
    )
    # It bounds every read of a cycle.
    max_coins: int = Field(default=500, ge=1, description="Most coins handled per cycle.")
    quotes_index: str = Field(
        default=quotes_index_pattern(), description="Index pattern quotes are read from."
    )
    predictions_index: str = Field(
        default=PREDICTIONS_INDEX, description="Index predictions are written to."
    )
    metrics_index: str = Field(
        default=METRICS_INDEX, description="Index forecast metrics are written to."
    )
    # Bounded retries of a failed Elasticsearch write or read.
    es_max_attempts: int = Field(
        default=4, ge=1, description="Attempts of an Elasticsearch read or write."
    )
    es_backoff_initial_s: float = Field(
        default=1.0, gt=0, description="First Elasticsearch retry wait, in seconds."
    )
    es_backoff_max_s: float = Field(
        default=15.0, gt=0, description="Elasticsearch retry wait cap, in seconds."
    )

    @field_validator("step")
    @classmethod
    def _step_is_fixed(cls, value: str) -> str:
        # A calendar offset ("1M") has no fixed length and cannot make a grid.
        try:
            pd.Timedelta(value)
        except ValueError as err:
            raise ValueError(f"not a fixed duration: {value!r}") from err
        if pd.Timedelta(value) <= pd.Timedelta(0):
            raise ValueError("must be positive")
        return value

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(MODEL_NAMES))
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {list(MODEL_NAMES)}")
        return ("naive", *(m for m in dict.fromkeys(value) if m != "naive"))

    @model_validator(mode="after")
    def _enough_points(self) -> IASettings:
        # Empirical intervals need at least two h-step changes for h = horizon.
        if self.min_points < self.horizon + 3:
            raise ValueError("IA_MIN_POINTS must be at least IA_HORIZON + 3")
        return self

    @property
    def grid_step(self) -> pd.Timedelta:
        """The grid step as a Timedelta."""
        return pd.Timedelta(self.step)
