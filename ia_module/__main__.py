"""Command line of the IA service; only wires settings, clients and the modules.

python -m ia_module [run]      # a cycle every IA_INTERVAL_MIN minutes until SIGTERM/SIGINT
python -m ia_module once       # one cycle, exit 0 (1 if Elasticsearch kept failing)
python -m ia_module backtest --csv FILE [--step 5min --horizon 12 ...]
python -m ia_module chart --coin SLUG --out FILE.png [--width 1200 --height 600]
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from elasticsearch import ApiError

from cryptoviz_core.elastic import connect
from cryptoviz_core.health import wait_beating
from cryptoviz_core.logs import configure_logging
from cryptoviz_core.retry import Backoff, GaveUp
from ia_module.exceptions import NoData, StoreUnavailable
from ia_module.settings import MODEL_NAMES, IASettings

log = logging.getLogger("ia_module")


def build_store(settings: IASettings):  # type: ignore[no-untyped-def]
    """A `ForecastStore` on the configured cluster (no request made)."""
    from ia_module.store import ForecastStore

    backoff = Backoff(
        initial=settings.es_backoff_initial_s,
        maximum=settings.es_backoff_max_s,
        max_attempts=settings.es_max_attempts,
    )
    return ForecastStore(
        connect(settings), settings.predictions_index, settings.metrics_index, backoff
    )


def cmd_run(settings: IASettings, once: bool) -> int:
    from ia_module.cycle import run_cycle

    store = build_store(settings)
    store.start()
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    period = settings.interval_min * 60
    while True:
        started = time.monotonic()
        next_in = period
        try:
            summary = run_cycle(settings, store)
            if summary.waiting or not summary.coins:
                next_in = min(period, settings.warmup_interval_s)
        except (StoreUnavailable, GaveUp, ApiError) as err:
            # ApiError: a request refused for good, e.g. a quotes index whose mapping the
            # service cannot aggregate. Said every cycle, rather than a restart loop.
            log.error("cycle failed", extra={"error": str(err)})
            if once:
                return 1
        if once:
            return 0
        if wait_beating(
            stop, max(0.0, next_in - (time.monotonic() - started)), settings.health_file
        ):
            log.info("stopped")
            return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from ia_module.evaluate import BacktestConfig, backtest_csv, format_table

    config = BacktestConfig(
        step=args.step,
        horizon=args.horizon,
        train=args.train,
        origins=args.origins,
        every=args.every,
        models=tuple(args.models),
        select_origins=args.select_origins,
    )
    try:
        scores = backtest_csv(args.csv, config)
    except (OSError, ValueError) as err:
        print(f"backtest: {err}", file=sys.stderr)
        return 2
    print(format_table(scores))
    return 0 if scores else 1


def cmd_chart(settings: IASettings, args: argparse.Namespace) -> int:
    from ia_module.chart import draw

    try:
        out = draw(settings, build_store(settings), args.coin, args.out, args.width, args.height)
    except NoData as err:
        print(str(err), file=sys.stderr)
        return 2
    except (StoreUnavailable, GaveUp) as err:
        print(f"chart: Elasticsearch unavailable: {err}", file=sys.stderr)
        return 1
    print(out)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests)."""
    top = argparse.ArgumentParser(prog="python -m ia_module", description="CryptoViz forecasts.")
    sub = top.add_subparsers(dest="command")
    sub.add_parser("run", help="a cycle every IA_INTERVAL_MIN minutes (the default command)")
    sub.add_parser("once", help="run one cycle and exit")
    bt = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of every model on a CSV",
        description=(
            "Columns: timestamp (or date; naive times are UTC), slug or symbol (or ticker), "
            "price (or close). A gap of more than IA_MAX_GAP_STEPS (3) missing steps splits a "
            "coin's history; "
            "every segment long enough is backtested. Prints one row per model (MASE vs "
            "naive, sMAPE, 80% and 95% coverage, interval scores relative to naive's) and a "
            "last line naming the best model and its MASE."
        ),
    )
    bt.add_argument("--csv", type=Path, required=True)
    bt.add_argument("--step", default="5min", help="grid step, e.g. 5min or 1h (default 5min)")
    bt.add_argument("--horizon", type=int, default=12, help="steps ahead (default 12)")
    bt.add_argument(
        "--train", type=int, default=288, help="training window in points (default 288)"
    )
    bt.add_argument(
        "--origins", type=int, default=200, help="most recent origins per coin (default 200)"
    )
    bt.add_argument(
        "--every", type=int, default=None, help="points between origins (default: horizon)"
    )
    bt.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES))
    bt.add_argument(
        "--select-origins",
        type=int,
        default=IASettings.model_fields["backtest_origins"].default,
        help="origins of the per-coin selection (auto row; default: the service's)",
    )
    add_chart_arguments(
        sub.add_parser("chart", help="PNG of a coin's price with the latest forecast and bands")
    )
    return top


def add_chart_arguments(chart: argparse.ArgumentParser) -> None:
    """The ``chart`` options, shared with the local runner's pass-through command."""
    chart.add_argument("--coin", required=True, help="coin slug, e.g. bitcoin")
    chart.add_argument("--out", type=Path, required=True)
    chart.add_argument("--width", type=int, default=1200, help="pixels (default 1200)")
    chart.add_argument("--height", type=int, default=600, help="pixels (default 600)")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parser().parse_args(argv)
    if args.command == "backtest":
        return cmd_backtest(args)
    settings = IASettings()
    configure_logging("ia", settings.log_level)
    if args.command == "chart":
        return cmd_chart(settings, args)
    log.info(
        "starting", extra={"settings": settings.public_view(), "command": args.command or "run"}
    )
    return cmd_run(settings, once=args.command == "once")


if __name__ == "__main__":
    sys.exit(main())
