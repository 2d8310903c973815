"""The scraper's settings: every tunable named, typed and explained once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cryptoviz_core.names import QUOTES_TOPIC
from cryptoviz_core.settings import ServiceSettings


class ScraperSettings(ServiceSettings):
    """Read once at start-up from the environment and ``.env`` (e.g. ``SCRAPER_INTERVAL_S=30``)."""

    model_config = SettingsConfigDict(env_prefix="SCRAPER_")

    source: Literal["live", "replay"] = Field(
        default="live", description="live: CoinMarketCap; replay: the bundled recorded pages."
    )
    base_url: str = Field(
        default="https://coinmarketcap.com/", description="URL of listing page 1."
    )
    replay_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Replay only: port of the scraper's page server; 0 = any free port.",
    )
    # Replay source only: false when another process (the local runner) already
    # serves the replay pages at SCRAPER_BASE_URL, so they keep cycling across restarts.
    replay_serve: bool = Field(
        default=True, description="Replay only: whether the scraper serves the replay pages itself."
    )
    pages: int = Field(
        default=1, ge=1, le=100, description="Listing pages scraped per cycle (100 coins each)."
    )
    interval_s: float = Field(default=60.0, ge=1.0, description="Seconds between two scrapes.")
    jitter_s: float = Field(
        default=5.0, ge=0.0, description="Random extra wait after each scrape, up to this, in s."
    )
    # Refusal/unreadable-layout backoff: initial * 2**n seconds, capped.
    backoff_initial_s: float = Field(
        default=60.0, gt=0, description="First backoff wait, in seconds."
    )
    backoff_max_s: float = Field(default=1800.0, gt=0, description="Backoff cap, in seconds.")
    page_load_timeout_s: float = Field(
        default=30.0, gt=0, description="Page load timeout, in seconds."
    )
    # Time allowed to scroll until every row is rendered; rows still placeholders
    # after it are filled from the page JSON.
    render_budget_s: float = Field(
        default=8.0, gt=0, description="Scroll-to-render budget per page, in seconds."
    )
    recycle_every: int = Field(
        default=100,
        ge=1,
        description="Restart Chromium every this many page loads (long-lived Chromium grows).",
    )
    chromium_binary: str = Field(
        default="/usr/bin/chromium", description="Path of the Chromium binary."
    )
    chromedriver: str = Field(default="/usr/bin/chromedriver", description="Path of chromedriver.")
    snapshot_dir: Path = Field(
        default=Path("var/scraper-snapshots"),
        description="Where pages that fail to parse are saved, for debugging.",
    )
    snapshot_keep: int = Field(
        default=20, ge=0, description="Snapshots kept (oldest deleted); 0 saves none."
    )
    topic: str = Field(default=QUOTES_TOPIC, description="Kafka topic quotes go to.")
    topic_partitions: int = Field(
        default=3, ge=1, description="Partitions of the topic, when the scraper creates it."
    )
    topic_replication: int = Field(
        default=1, ge=1, description="Replication factor of the topic, when the scraper creates it."
    )
    topic_retention_ms: int = Field(
        default=7 * 24 * 3600 * 1000,
        ge=60_000,
        description="Retention of the topic in ms (7 days), when the scraper creates it.",
    )
    # Must exceed the producer's 10 s request timeout (publisher.REQUEST_TIMEOUT_MS).
    delivery_timeout_s: float = Field(
        default=30.0,
        gt=11,
        description="Producer delivery timeout per message, retries included, in s.",
    )

    def page_url(self, page: int, base_url: str | None = None) -> str:
        """The listing URL of ``page`` (1-based): the base URL, then ``?page=N`` from 2 on."""
        base = base_url or self.base_url
        return base if page == 1 else f"{base.rstrip('/')}/?page={page}"
