"""Scenario 7: 1,000 quotes/s for 5 minutes (300,000) through the real indexer.

Lag (records in the topic not yet committed) and the indexer's RSS are sampled
every 5 s. RSS "start" is taken after a 30 s warm-up (imports, the first full
batches, the client pools); a leak shows as growth from there to the end.
"""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import Record
from tests.chaos.pipeline import ChaosRun, LoadProducer, acked_ids, rss_mb, scaled
from tests.support.indexer_run import stop

pytestmark = pytest.mark.integration

RATE = 1_000
SECONDS = scaled(300, 30)
SAMPLE_S = 5.0
WARM_UP_S = float(scaled(30, 10))
# Bounds: 15 s of input (3 default batches of 5,000) and 64 MiB of growth.
MAX_LAG = 15_000
MAX_RSS_GROWTH_MB = 64.0
WAIT_S = 120.0


def test_1000_per_second_for_5_minutes_keeps_lag_and_memory_flat(
    chaos: ChaosRun, record: Record
) -> None:
    indexer = chaos.start_indexer()
    producer = LoadProducer(chaos.kafka, chaos.topic, RATE * SECONDS, rate=RATE).start()
    started = time.monotonic()
    lags: list[int] = []
    rss: list[float] = []
    samples = 0
    while time.monotonic() - started < SECONDS:
        # On a fixed grid, so a slow lag query delays one sample, not all later ones.
        samples += 1
        time.sleep(max(0.0, started + samples * SAMPLE_S - time.monotonic()))
        assert indexer.poll() is None, chaos.log_text()
        lag = chaos.lag()
        if lag is not None:
            lags.append(lag)
        if time.monotonic() - started >= WARM_UP_S:
            rss.append(rss_mb(indexer))
    producer.join(WAIT_S)
    sent_s = round(time.monotonic() - started, 1)
    chaos.wait_drained(WAIT_S)
    rss.append(rss_mb(indexer))
    assert stop(indexer) == 0
    tally = chaos.tally(acked_ids(producer))
    record(
        "sustained-load",
        tally,
        rate_per_s=RATE,
        send_duration_s=sent_s,
        lag_samples=len(lags),
        max_lag=max(lags),
        median_lag=sorted(lags)[len(lags) // 2],
        rss_start_mb=rss[0],
        rss_end_mb=rss[-1],
        rss_max_mb=max(rss),
    )
    assert len(lags) >= SECONDS / SAMPLE_S * 0.9  # really sampled throughout
    assert max(lags) <= MAX_LAG
    assert rss[-1] - rss[0] <= MAX_RSS_GROWTH_MB
    assert (tally.produced, tally.indexed) == (RATE * SECONDS, RATE * SECONDS)
    assert (tally.lost, tally.duplicated, tally.dead_lettered) == (0, 0, 0)
