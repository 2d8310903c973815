"""Settings of the local runner (``python -m pipeline_runner`` / ``make run``).

Read once at start-up from the environment (then ``.env``): ``RUN_`` plus the
field name, as cryptoviz_core.settings describes. The two knobs a user reaches
for also have short names: ``SOURCE`` and ``DURATION``. The runner never changes
the services' own defaults: it passes the demo tuning below to its children
through their environment, and only in replay mode, and a variable the user
already set always wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cryptoviz_core.names import (
    DLQ_TOPIC,
    INDEXER_GROUP,
    METRICS_INDEX,
    PREDICTIONS_INDEX,
    QUOTES_INDEX_PREFIX,
    QUOTES_TOPIC,
    quotes_index_pattern,
)
from ia_module.settings import IASettings

REPO_ROOT = Path(__file__).resolve().parent.parent
LIVE_URL = "https://coinmarketcap.com/"

# Replay-mode demo tuning, chosen so the first forecast shows up within a minute:
# a scrape every 10 s feeds a 10 s grid. Naive forecasts start from the second
# point (bands from all coins' returns pooled until a coin has its own), drift and
# ETS from 9 points (IA_MIN_POINTS, the least allowed for a 6-step horizon), and an
# IA cycle every 15 s picks them up; once ETS is fitted a cycle may take longer, and
# cycles then run back to back. One hour of history keeps each cycle's read small
# (360 steps x ~100 coins) where the 24 h default at 10 s would be ~90 pages.
REPLAY_DEMO_ENV: dict[str, str] = {
    "SCRAPER_INTERVAL_S": "10",
    "SCRAPER_JITTER_S": "0",
    # The replay pages never refuse; a crashed page load should retry soon.
    "SCRAPER_BACKOFF_INITIAL_S": "5",
    "SCRAPER_BACKOFF_MAX_S": "30",
    "IA_STEP": "10s",
    "IA_HORIZON": "6",
    "IA_MIN_POINTS": "9",
    "IA_INTERVAL_MIN": "0.25",
    "IA_HISTORY_HOURS": "1",
    "IA_SCORE_WINDOW_HOURS": "1",
    "INDEXER_STATS_INTERVAL_S": "5",
}


class RunSettings(BaseSettings):
    """Frozen; ``SOURCE=replay DURATION=90`` or ``RUN_SOURCE``/``RUN_DURATION`` alike."""

    model_config = SettingsConfigDict(
        env_prefix="RUN_", env_file=".env", extra="ignore", frozen=True, validate_by_name=True
    )

    # auto: live CoinMarketCap when a short probe reaches it at start, else replay.
    source: Literal["auto", "live", "replay"] = Field(
        default="auto",
        validation_alias=AliasChoices("SOURCE", "RUN_SOURCE"),
        description="Data source: auto, live or replay.",
    )
    duration: float | None = Field(
        default=None,
        gt=0,
        validation_alias=AliasChoices("DURATION", "RUN_DURATION"),
        description="Seconds before the run stops and prints its summary; unset: Ctrl-C.",
    )
    refresh_s: float = Field(
        default=3.0,
        ge=0.5,
        description="Seconds between two refreshes of the live view (or log lines).",
    )
    # Marks every child (``-X cryptoviz_run=<id>`` and the environment) and names the log dir.
    id: str = Field(
        default_factory=lambda: uuid.uuid4().hex[:12],
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Id of the run; a random 12-hex-digit id when unset.",
    )
    log_dir: Path = Field(
        default=REPO_ROOT / ".cache" / "run",
        description="Directory of the run directories (logs, heartbeats).",
    )
    live_url: str = Field(
        default=LIVE_URL,
        description="CoinMarketCap URL scraped in live mode.",
    )
    probe_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="Timeout of the start-up probe of the live site, whole request, in s.",
    )
    replay_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port serving the bundled replay pages; 0 = any free port.",
    )

    # Names the children use; a test sets unique ones so concurrent runs never mix.
    topic: str = Field(
        default=QUOTES_TOPIC,
        description="Kafka quotes topic of the run.",
    )
    dlq_topic: str = Field(
        default=DLQ_TOPIC,
        description="Kafka dead-letter topic of the run.",
    )
    consumer_group: str = Field(
        default=INDEXER_GROUP,
        description="Indexer's Kafka consumer group.",
    )
    index_prefix: str = Field(
        default=QUOTES_INDEX_PREFIX,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Prefix of the daily quote indices.",
    )
    predictions_index: str = Field(
        default=PREDICTIONS_INDEX,
        description="Index of the predictions.",
    )
    metrics_index: str = Field(
        default=METRICS_INDEX,
        description="Index of the forecast metrics.",
    )

    # Crash restarts: backoff from initial to max seconds; a child that crashes
    # this many times in a row, never staying up ``stable_after_s``, stops the run.
    restart_initial_s: float = Field(
        default=1.0,
        gt=0,
        description="First restart wait after a crash, in seconds.",
    )
    restart_max_s: float = Field(
        default=30.0,
        gt=0,
        description="Restart wait cap, in seconds.",
    )
    restart_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Crashes in a row that stop the run.",
    )
    stable_after_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds up after which a child counts as stable.",
    )
    # SIGTERM to SIGKILL, per child; the scraper closes Chromium in well under this.
    stop_grace_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds from SIGTERM to SIGKILL when stopping a child.",
    )
    # Bound on waiting, at the end of a DURATION run, for the indexer to catch up.
    drain_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a DURATION run waits for the indexer to catch up.",
    )

    @property
    def run_dir(self) -> Path:
        """``log_dir/<id>``: the children's log files and heartbeats."""
        return self.log_dir / self.id


def child_env(
    settings: RunSettings,
    base: dict[str, str],
    *,
    kafka: str,
    elasticsearch: str,
    replay_url: str | None,
) -> dict[str, str]:
    """The environment of every child: ``base`` (normally ``os.environ``) plus the run's wiring.

    Pure. Precedence, lowest first: replay demo tuning (only when ``replay_url``
    is set), ``base``, then what the run must control (endpoints, names, source).
    """
    demo = REPLAY_DEMO_ENV if replay_url is not None else {}
    forced = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "ELASTICSEARCH_URL": elasticsearch,
        "CRYPTOVIZ_RUN_ID": settings.id,
        "SCRAPER_TOPIC": settings.topic,
        "SCRAPER_SOURCE": "live" if replay_url is None else "replay",
        "INDEXER_TOPIC": settings.topic,
        "INDEXER_DLQ_TOPIC": settings.dlq_topic,
        "INDEXER_CONSUMER_GROUP": settings.consumer_group,
        "INDEXER_INDEX_PREFIX": settings.index_prefix,
        "IA_QUOTES_INDEX": quotes_index_pattern(settings.index_prefix),
        "IA_PREDICTIONS_INDEX": settings.predictions_index,
        "IA_METRICS_INDEX": settings.metrics_index,
        # Children are plain pipes to log files: unbuffered so a crash loses no line.
        "PYTHONUNBUFFERED": "1",
    }
    if replay_url is None:
        forced["SCRAPER_BASE_URL"] = settings.live_url
    else:
        forced["SCRAPER_BASE_URL"] = replay_url
        forced["SCRAPER_REPLAY_SERVE"] = "false"
    return {**demo, **base, **forced}


def ia_timing(env: Mapping[str, str]) -> tuple[float, float]:
    """(grid step, interval between cycles), in seconds, of an IA child run with ``env``."""
    fields = IASettings.model_fields
    step = pd.Timedelta(env.get("IA_STEP", fields["step"].default)).total_seconds()
    interval = float(env.get("IA_INTERVAL_MIN", fields["interval_min"].default)) * 60
    return step, interval
