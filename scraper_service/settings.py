"""The scraper's settings: every tunable named, typed and explained once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from cryptoviz_core.schema import QUOTES_TOPIC
from cryptoviz_core.settings import ServiceSettings


class ScraperSettings(ServiceSettings):
    """Read once at start-up from the environment and ``.env`` (e.g. ``SCRAPER_INTERVAL_S=30``)."""

    scraper_source: Literal["live", "replay"] = "live"
    scraper_base_url: str = "https://coinmarketcap.com/"
    # Replay source only: where its local server listens (0 = any free port).
    scraper_replay_port: int = Field(default=0, ge=0, le=65535)
    # Replay source only: false when another process (the local runner) already
    # serves the replay pages at SCRAPER_BASE_URL, so they keep cycling across restarts.
    scraper_replay_serve: bool = True
    scraper_pages: int = Field(default=1, ge=1, le=100)
    scraper_interval_s: float = Field(default=60.0, ge=1.0)
    scraper_jitter_s: float = Field(default=5.0, ge=0.0)
    # Refusal/unreadable-layout backoff: initial * 2**n seconds, capped.
    scraper_backoff_initial_s: float = Field(default=60.0, gt=0)
    scraper_backoff_max_s: float = Field(default=1800.0, gt=0)
    scraper_page_load_timeout_s: float = Field(default=30.0, gt=0)
    # Time allowed to scroll until every row is rendered; rows still placeholders
    # after it are filled from the page JSON.
    scraper_render_budget_s: float = Field(default=8.0, gt=0)
    scraper_recycle_every: int = Field(default=100, ge=1)
    scraper_chromium_binary: str = "/usr/bin/chromium"
    scraper_chromedriver: str = "/usr/bin/chromedriver"
    scraper_snapshot_dir: Path = Path("var/scraper-snapshots")
    scraper_snapshot_keep: int = Field(default=20, ge=0)
    scraper_topic: str = QUOTES_TOPIC
    scraper_topic_partitions: int = Field(default=3, ge=1)
    scraper_topic_replication: int = Field(default=1, ge=1)
    scraper_topic_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=60_000)
    # Must exceed the producer's 10 s request timeout (publisher.REQUEST_TIMEOUT_MS).
    scraper_delivery_timeout_s: float = Field(default=30.0, gt=11)

    def page_url(self, page: int, base_url: str | None = None) -> str:
        """The listing URL of ``page`` (1-based): the base URL, then ``?page=N`` from 2 on."""
        base = base_url or self.scraper_base_url
        return base if page == 1 else f"{base.rstrip('/')}/?page={page}"
