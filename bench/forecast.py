"""Benchmark of one IA cycle's compute: 100 synthetic coins x 288 points, H=12.

Runs the same per-coin step as the service (`forecast_series`: rolling-origin
model selection among naive, drift and AutoETS, then forecasts with intervals),
with the service's default origins and minimum points (`IASettings`), and a
naive-only cycle, and prints seconds per cycle, peak RSS and the ratio.
Targets: <= 10 s per cycle and <= 1 GB peak RSS on 2 cores.

    .venv/bin/python bench/forecast.py [--coins 100 --points 288 --horizon 12 --repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ia_module.cycle import forecast_series
from ia_module.settings import MODEL_NAMES, IASettings

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 1024.0


def synthetic(coins: int, points: int, seed: int = 0) -> list[np.ndarray]:
    """Random walks in log price, with a trend on every third coin and a flat one."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(coins):
        drift = 0.0005 if i % 3 == 0 else 0.0
        out.append(10 ** rng.uniform(-2, 4) * np.exp(np.cumsum(rng.normal(drift, 0.004, points))))
    out[-1] = np.full(points, 1.0)  # a stablecoin
    return out


def cycle(
    series: list[np.ndarray], models: tuple[str, ...], horizon: int, settings: IASettings
) -> float:
    started = time.perf_counter()
    for y in series:
        forecast_series(
            y, models, horizon, origins=settings.backtest_origins, min_points=settings.min_points
        )
    return time.perf_counter() - started


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--coins", type=int, default=100)
    args.add_argument("--points", type=int, default=288)
    args.add_argument("--horizon", type=int, default=12)
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    series = synthetic(opts.coins, opts.points)
    settings = IASettings(_env_file=None)  # the service's defaults, as it reads them
    # The first cycle pays the library import; a service pays it once at start.
    first = cycle(series, MODEL_NAMES, opts.horizon, settings)
    full = min(cycle(series, MODEL_NAMES, opts.horizon, settings) for _ in range(opts.repeat))
    naive = min(cycle(series, ("naive",), opts.horizon, settings) for _ in range(opts.repeat))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    ok = full <= TARGET_SECONDS and rss_mb <= TARGET_RSS_MB
    print(f"first cycle (with import): {first:.2f} s")
    print(f"models {','.join(MODEL_NAMES)}: best of {opts.repeat} cycles {full:.2f} s")
    print(f"naive only: best of {opts.repeat} cycles {naive:.3f} s")
    print(
        f"coins={opts.coins} points={opts.points} horizon={opts.horizon} "
        f"cycle_s={full:.2f} first_cycle_s={first:.2f} naive_s={naive:.3f} "
        f"ratio_vs_naive={full / naive:.1f} peak_rss_mb={rss_mb:.0f} "
        f"targets=<={TARGET_SECONDS:g}s,<={TARGET_RSS_MB:g}MB {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
