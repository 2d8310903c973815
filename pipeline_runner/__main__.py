"""``python -m pipeline_runner [run|chart]``: the whole pipeline on the local stack. Wiring only.

``run`` (default) makes sure the local stack is up, picks the source (live
CoinMarketCap, or the bundled replay pages when the site cannot be reached),
starts scraper, indexer and IA as supervised children and shows the pipeline
until Ctrl-C, or for ``DURATION`` seconds followed by a summary whose last line
is ``indexed N quotes for M coins, P predictions, D dead-lettered``.
``chart`` draws a coin's price and forecast from what the run stored.

Exit status: 0 after a DURATION run or a chart, 130 after Ctrl-C/SIGTERM,
1 when the run could not start or keep going (one line on stderr says why),
2 for bad settings or arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from pydantic import ValidationError

from cryptoviz_core.elastic import connect
from cryptoviz_core.logs import configure_logging
from cryptoviz_core.retry import Backoff, GaveUp, RetryLater, retry
from cryptoviz_core.settings import ServiceSettings
from devstack.exceptions import DevstackError
from devstack.stack import SERVICES, Endpoints, Stack
from ia_module.__main__ import add_chart_arguments
from pipeline_runner.metrics import RATE_WINDOW_S, Sample, figures, summary_line, window_start
from pipeline_runner.settings import RunSettings, child_env, ia_timing
from pipeline_runner.sources import (
    ES_TIMEOUT_S,
    Counts,
    PipelineSources,
    SourceUnavailable,
    probe_live,
)
from pipeline_runner.supervisor import ChildGaveUp, ChildSpec, Supervisor
from pipeline_runner.view import LiveView, LogView, View

log = logging.getLogger("pipeline_runner")

# How often the loop checks the children; restarts are at most this late.
POLL_S = 0.5
# Between two lag readings while draining at the end of a DURATION run.
DRAIN_POLL_S = 1.0
# The final counts ride out a short Elasticsearch restart (fault tests share the stack).
FINAL_READ_BACKOFF = Backoff(initial=3.0, maximum=3.0, jitter=0.0, max_attempts=10)
# Start order; a stop goes in reverse, so the scraper stops first and the indexer last.
CHILDREN = (
    ("indexer", "indexer_service"),
    ("ia", "ia_module"),
    ("scraper", "scraper_service"),
)


class RunError(Exception):
    """The run cannot start or go on; the message is the one line the user sees."""


def say(line: str, stream: TextIO = sys.stdout) -> None:
    """A line for the person at the terminal (not a log record)."""
    stream.write(line + "\n")
    stream.flush()


@contextlib.contextmanager
def local_stack() -> Iterator[Endpoints]:
    """The local stack's endpoints, starting what is not running.

    On exit, stops only the servers this call started: other engineers and
    test sessions share a stack that was already up. Raises RunError.
    """
    stack = Stack()
    if all(stack.status().values()):
        yield stack.endpoints
        return
    before = {name: stack.running(name) for name in SERVICES}
    say("starting the local stack (ZooKeeper, Kafka, Elasticsearch)...")
    try:
        endpoints = stack.up()
    except DevstackError as err:
        raise RunError(f"local stack unavailable: {err}") from err
    try:
        yield endpoints
    finally:
        for name in reversed(SERVICES):
            if not before[name]:
                stack.stop(name)


def choose_source(settings: RunSettings) -> bool:
    """True to scrape the live site, False for replay. Says which, in one line, when not asked."""
    if settings.source == "replay":
        return False
    reason = probe_live(settings.live_url, settings.probe_timeout_s)
    if reason is None:
        return True
    if settings.source == "live":
        say(
            f"live CoinMarketCap unreachable ({reason}); SOURCE=live: the scraper backs off "
            "and retries until it is reachable"
        )
        return True
    say(
        f"live CoinMarketCap unreachable ({reason}): running on the bundled REPLAY pages "
        "(SOURCE=live to insist, SOURCE=replay to skip this check)"
    )
    return False


@contextlib.contextmanager
def replay_server(port: int) -> Iterator[str]:
    """Serve replay pages on loopback, their prices moving along the bundled real price
    paths one hour per load (`tools.replay.market`); yields the base URL. Raises RunError."""
    from scraper_service.replay.server import ReplayServer
    from tools.replay.market import MarketReplay

    server = ReplayServer(port=port, render=MarketReplay().page)
    try:
        url = server.start()
    except OSError as err:
        raise RunError(
            f"cannot serve the replay pages on port {port}: {err.strerror}; "
            "set RUN_REPLAY_PORT=0 for any free port"
        ) from err
    try:
        yield url
    finally:
        server.close()


def child_specs(settings: RunSettings, env: dict[str, str]) -> list[ChildSpec]:
    """The three services, marked with the run id in their command line."""
    return [
        ChildSpec(
            name=name,
            argv=[sys.executable, "-X", f"cryptoviz_run={settings.id}", "-m", module],
            env={**env, "HEALTH_FILE": str(settings.run_dir / f"{name}.health")},
            log_path=settings.run_dir / f"{name}.log",
        )
        for name, module in CHILDREN
    ]


class Milestones:
    """Seconds from start to the first indexed quote and the first prediction."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.first_indexed: float | None = None
        self.first_prediction: float | None = None

    def observe(self, sample: Sample) -> None:
        """Record the milestones ``sample`` reaches first; logs each once."""
        if self.first_indexed is None and sample.indexed > 0:
            self.first_indexed = sample.taken_at - self.started
            log.info("first quote indexed", extra={"after_s": round(self.first_indexed, 1)})
        if self.first_prediction is None and sample.predictions > 0:
            self.first_prediction = sample.taken_at - self.started
            log.info("first prediction", extra={"after_s": round(self.first_prediction, 1)})

    def describe(self) -> str:
        def fmt(value: float | None) -> str:
            return "not reached" if value is None else f"{value:.0f} s"

        return (
            f"first quote indexed after {fmt(self.first_indexed)}, "
            f"first prediction after {fmt(self.first_prediction)}"
        )


def drain(sources: PipelineSources, timeout_s: float) -> int:
    """Wait (bounded) until the indexer has committed every quote; returns the last lag."""
    deadline = time.monotonic() + timeout_s
    lag = -1
    while time.monotonic() < deadline:
        try:
            lag = sources.lag(sources.end_offsets(sources.settings.topic))
        except SourceUnavailable as err:
            log.warning("lag unavailable while draining", extra={"error": str(err)})
        if lag == 0:
            return 0
        time.sleep(DRAIN_POLL_S)
    log.warning("indexer did not drain in time", extra={"lag": lag, "timeout_s": timeout_s})
    return lag


def supervise(
    settings: RunSettings,
    supervisor: Supervisor,
    sources: PipelineSources,
    view: View,
    stop: threading.Event,
    milestones: Milestones,
) -> bool:
    """Poll children and refresh the view until ``stop`` or DURATION. True when DURATION ended it.

    Raises RunError when a child gave up.
    """
    deadline = None if settings.duration is None else milestones.started + settings.duration
    history: deque[Sample] = deque()
    next_refresh = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return True
        try:
            supervisor.poll()
        except ChildGaveUp as err:
            raise RunError(str(err)) from err
        if now >= next_refresh:
            next_refresh = now + settings.refresh_s
            try:
                sample = sources.sample()
            except SourceUnavailable as err:
                log.warning("reading skipped", extra={"error": str(err)})
            else:
                milestones.observe(sample)
                current = figures(window_start(history, sample), sample, datetime.now(UTC))
                view.update(sample, current, supervisor.states())
                history.append(sample)
                while history and history[0].taken_at < sample.taken_at - RATE_WINDOW_S:
                    history.popleft()
        stop.wait(POLL_S)
    return False


def finish(settings: RunSettings, supervisor: Supervisor, sources: PipelineSources) -> str:
    """End a DURATION run: stop scraping, let the indexer drain, stop the rest, count.

    Counts are read after every child stopped and after a refresh, so they are exact.
    """
    supervisor.stop(["scraper"])
    lag = drain(sources, settings.drain_timeout_s)
    supervisor.stop()

    def read_counts() -> Counts:
        try:
            sources.refresh()
            return sources.counts()
        except SourceUnavailable as err:
            raise RetryLater(str(err)) from err

    try:
        counts = retry(read_counts, "final count read", FINAL_READ_BACKOFF)
    except GaveUp as err:
        raise RunError(f"cannot read the final counts: {err.error}") from err
    if lag:
        log.warning("summary counts exclude undrained quotes", extra={"lag": lag})
    return summary_line(counts.indexed, counts.coins, counts.predictions, counts.dead_lettered)


def cmd_run(settings: RunSettings, stop: threading.Event, tty: bool) -> int:
    """The ``run`` command; see the module docstring for the exit status."""
    started = time.monotonic()
    with contextlib.ExitStack() as exits:
        endpoints = exits.enter_context(local_stack())
        live = choose_source(settings)
        replay_url = None if live else exits.enter_context(replay_server(settings.replay_port))
        label = "LIVE coinmarketcap.com" if live else f"REPLAY (bundled pages at {replay_url})"
        env = child_env(
            settings,
            dict(os.environ),
            kafka=endpoints.kafka,
            elasticsearch=endpoints.elasticsearch,
            replay_url=replay_url,
        )
        supervisor = exits.enter_context(
            Supervisor(
                child_specs(settings, env),
                Backoff(
                    initial=settings.restart_initial_s,
                    maximum=settings.restart_max_s,
                    max_attempts=settings.restart_max_attempts,
                ),
                stable_after_s=settings.stable_after_s,
                grace_s=settings.stop_grace_s,
            )
        )
        es = connect(
            ServiceSettings(elasticsearch_url=endpoints.elasticsearch), request_timeout=ES_TIMEOUT_S
        )
        exits.callback(es.close)
        step_s, interval_s = ia_timing(env)
        # The first forecast this run can issue is labelled with the grid step it started in.
        since = datetime.fromtimestamp(time.time() // step_s * step_s, UTC)
        sources = PipelineSources(settings, endpoints.kafka, es, predictions_since=since)
        exits.callback(sources.close)
        log.info(
            "run starting",
            extra={"settings": settings.model_dump(mode="json"), "source": label},
        )
        say(f"run {settings.id}: SOURCE {label}; logs in {settings.run_dir}/")
        try:
            supervisor.start()
        except OSError as err:
            raise RunError(f"cannot start a service: {err}") from err
        view: View = LiveView(label, interval_s) if tty else LogView(label)
        view.start()
        exits.callback(view.close)
        milestones = Milestones(started)
        if not supervise(settings, supervisor, sources, view, stop, milestones):
            view.close()
            say("stopping: the services get SIGTERM, then SIGKILL after the grace period")
            return 130
        view.close()
        say(f"{settings.duration:g} s elapsed; stopping the scraper and draining the indexer...")
        line = finish(settings, supervisor, sources)
        say(f"run {settings.id} ({label}): {milestones.describe()}")
        say(line)
        return 0
    return 1  # not reached; type checkers assume an ExitStack may swallow exceptions


def cmd_chart(settings: RunSettings, args: argparse.Namespace) -> int:
    """``chart``: `python -m ia_module chart` on the local stack with the run's index names."""
    endpoints = Stack().endpoints
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": endpoints.elasticsearch,
        "IA_QUOTES_INDEX": f"{settings.index_prefix}-*",
        "IA_PREDICTIONS_INDEX": settings.predictions_index,
    }
    argv = [sys.executable, "-m", "ia_module", "chart", "--coin", args.coin, "--out", str(args.out)]
    argv += ["--width", str(args.width), "--height", str(args.height)]
    return subprocess.run(argv, env=env, check=False).returncode


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests)."""
    top = argparse.ArgumentParser(prog="python -m pipeline_runner", description=__doc__)
    sub = top.add_subparsers(dest="command")
    sub.add_parser("run", help="run the pipeline (the default); SOURCE=..., DURATION=...")
    add_chart_arguments(sub.add_parser("chart", help="PNG of a coin's price and latest forecast"))
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = parser().parse_args(argv)
    try:
        settings = RunSettings()
    except ValidationError as err:
        first = err.errors()[0]
        say(f"bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}", sys.stderr)
        return 2
    if args.command == "chart":
        return cmd_chart(settings, args)
    tty = sys.stdout.isatty()
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as exits:
        # On a terminal the live table owns the screen: logs go to the run's log file.
        stream = exits.enter_context((settings.run_dir / "runner.log").open("a")) if tty else None
        configure_logging("runner", stream=stream)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            return cmd_run(settings, stop, tty)
        except RunError as err:
            log.error("run failed", extra={"error": str(err)})
            say(f"pipeline_runner: {err}", sys.stderr)
            return 1
    return 1  # not reached; type checkers assume an ExitStack may swallow exceptions


if __name__ == "__main__":
    sys.exit(main())
