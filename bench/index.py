"""Indexer throughput against the raw ``_bulk`` limit of the same Elasticsearch.

    .venv/bin/python bench/index.py [--kafka HOST:PORT --es URL] [--docs 200000]

1. Pre-loads ``--docs`` schema-v1 messages into a fresh Kafka topic, produced
   as the scraper produces them (gzip, acks=all).
2. Warms Elasticsearch up with a small raw bulk load (not measured).
3. Runs the indexer (``python -m indexer_service``, a real subprocess) and times
   it from process start until every document is searchable; samples its RSS.
   It runs in a virtualenv holding only what its image installs (`image_python`):
   start-up time and memory are the deployed indexer's.
4. Sends the same documents, pre-serialized as NDJSON, straight to ``_bulk``
   with the same chunk size and parallelism, into a fresh prefix with the same
   template, timed until every document is searchable.
5. Checks that both prefixes, refreshed, hold exactly ``--docs`` documents, and
   deletes them. Steps 3 to 5 are one round; ``--rounds`` (3) rounds are run
   and the round with the median ratio is reported: on a shared machine one
   disturbed run no longer decides the figure.
6. Deletes the bench's warm-up indices, templates and topic.

Fairness on a small machine: with two or more CPUs, the local stack's servers
(Elasticsearch, Kafka, ZooKeeper: every thread of their process trees) are
pinned to CPU 0 and this benchmark, with the indexer it starts, to the other
CPUs, for both arms alike; otherwise Elasticsearch has every core in the raw
arm and shares them with the indexer and Kafka in the other. The output says
what was pinned; the servers get their CPUs back at the end. ``--no-pin`` turns
it off.

Endpoints come from the arguments, else from ``python -m devstack status``.
Results are also written to ``bench/out/index-<timestamp>.json``. The last line
is ``indexer/raw-bulk ratio: X.XX (indexer N docs/s, raw M docs/s)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import psutil
from elasticsearch import ApiError, Elasticsearch
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptoviz_core.schema import QuoteV1  # noqa: E402
from devstack.cleanup import delete_indices, delete_named  # noqa: E402
from devstack.stack import SERVICES, Stack  # noqa: E402
from indexer_service.documents import quote_document  # noqa: E402
from indexer_service.template import index_template, template_name  # noqa: E402
from scraper_service.publisher import COMPRESSION  # noqa: E402

PARTITIONS = 3
WARMUP_DOCS = 20_000
RUN_TIMEOUT_S = 900.0
POLL_S = 0.25


def endpoints(args: argparse.Namespace) -> tuple[str, str]:
    """(kafka bootstrap, elasticsearch url) from the arguments or devstack."""
    if args.kafka and args.es:
        return args.kafka, args.es
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "status"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    status = json.loads(out)
    return args.kafka or status["kafka"]["address"], args.es or status["elasticsearch"]["address"]


def pin(pids: dict[str, int], cpus: set[int]) -> int:
    """Pin every thread of each process tree in ``pids`` to ``cpus``; returns threads pinned."""
    pinned = 0
    for pid in pids.values():
        root = psutil.Process(pid)
        for proc in (root, *root.children(recursive=True)):
            for thread in proc.threads():
                try:
                    os.sched_setaffinity(thread.id, cpus)
                except ProcessLookupError:
                    continue  # a thread that just ended
                pinned += 1
    return pinned


def pin_stack() -> tuple[str, Callable[[], None]]:
    """Pin the running local stack to CPU 0 and this process to the rest.

    Returns what was pinned, in words, and the call that gives everything its CPUs back.
    """
    everything = os.sched_getaffinity(0)
    if len(everything) < 2:
        return f"nothing pinned ({len(everything)} CPU)", lambda: None
    stack = Stack()
    pids = {name: pid for name in SERVICES if (pid := stack.processes[name].pid()) is not None}
    if not pids:
        return "nothing pinned (no local stack running)", lambda: None
    server_cpus, bench_cpus = {min(everything)}, everything - {min(everything)}
    threads = pin(pids, server_cpus)
    os.sched_setaffinity(0, bench_cpus)  # inherited by the indexer subprocess

    def restore() -> None:
        pin(pids, everything)
        os.sched_setaffinity(0, everything)

    described = (
        f"pinned {', '.join(f'{name} (pid {pid})' for name, pid in pids.items())} "
        f"({threads} threads) to CPU {sorted(server_cpus)}; this benchmark and the indexer "
        f"to CPUs {sorted(bench_cpus)}, in both arms"
    )
    return described, restore


def image_python(service: str) -> Path:
    """A Python with only ``service``'s dependencies, installed as its Docker image installs them.

    Built once for each content of requirements.txt and ``<service>/requirements.in``
    (under .cache/bench). The shared .venv would not do: it also holds the IA's
    numpy and pyarrow, which elasticsearch-py imports when present (~0.2 s of start-up).
    """
    listed = f"{service}/requirements.in"
    spec = (REPO / "requirements.txt").read_bytes() + (REPO / listed).read_bytes()
    venv = REPO / ".cache" / "bench" / f"{service}-{hashlib.sha256(spec).hexdigest()[:12]}"
    python, installed = venv / "bin" / "python", venv / ".installed"
    if not installed.exists():
        print(f"building {venv.relative_to(REPO)} (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-c", "requirements.txt", "-r", listed], cwd=REPO, check=True)
        installed.touch()
    return python


def quotes(n: int, offset: int = 0) -> list[QuoteV1]:
    """``n`` distinct quotes over ~2 UTC days: 500 coins, one row per coin per minute."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        QuoteV1(
            source="coinmarketcap",
            scraped_at=start
            - timedelta(minutes=(i + offset) // 500, milliseconds=(i + offset) % 500),
            cmc_id=(i % 500) + 1,
            slug=f"coin-{i % 500}",
            name=f"Coin number {i % 500}",
            symbol=f"C{i % 500}",
            rank=(i % 500) + 1,
            currency="USD",
            price=1e-9 * (i + 1) if i % 10 == 0 else 100.0 + i * 0.01,
            change_1h_pct=0.12,
            change_24h_pct=-3.4,
            change_7d_pct=12.5,
            market_cap=1.2e12 + i,
            volume_24h=3.4e10,
            circulating_supply=1.9e7,
            max_supply=2.1e7,
            page=1 + (i % 500) // 100,
            origin="json",
        )
        for i in range(n)
    ]


def preload(kafka: str, topic: str, qs: list[QuoteV1]) -> float:
    """Create ``topic`` and write ``qs`` to it as the scraper does; return seconds taken.

    Same producer settings as scraper_service.publisher (gzip, acks=all,
    idempotence, 5 ms linger, default batch size, keyed by slug): the indexer's
    consumer cost depends on how the record batches were produced.
    """
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    admin.close()
    started = time.perf_counter()
    producer = KafkaProducer(
        bootstrap_servers=kafka,
        acks="all",
        enable_idempotence=True,
        compression_type=COMPRESSION,
        linger_ms=5,
    )
    for q in qs:
        producer.send(topic, key=q.slug.encode(), value=q.to_json())
    producer.flush(timeout=300)
    producer.close(timeout=30)
    return time.perf_counter() - started


def count(es: Elasticsearch, prefix: str) -> int:
    """Searchable documents under ``prefix`` (no forced refresh: the index's own interval).

    0 while a just-created index has no started shard yet (Elasticsearch answers 503).
    """
    if not es.indices.exists(index=f"{prefix}-*"):
        return 0
    try:
        return int(es.count(index=f"{prefix}-*")["count"])
    except ApiError as err:
        if err.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
            return 0
        raise


def check_exactly(es: Elasticsearch, prefix: str, n: int) -> None:
    """After the timed part: refreshed, ``prefix`` holds exactly ``n`` documents."""
    es.indices.refresh(index=f"{prefix}-*")
    found = count(es, prefix)
    if found != n:
        raise RuntimeError(f"{prefix}: {found} documents, expected exactly {n}")


def install_template(es: Elasticsearch, prefix: str) -> None:
    es.indices.put_index_template(name=template_name(prefix), **index_template(prefix))


def raw_bulk(es: Elasticsearch, prefix: str, qs: list[QuoteV1], chunk: int, parallel: int) -> float:
    """Send ``qs`` as pre-serialized NDJSON ``_bulk`` bodies; seconds until all searchable."""
    install_template(es, prefix)
    bodies = []
    for i in range(0, len(qs), chunk):
        lines: list[bytes] = []
        for q in qs[i : i + chunk]:
            action, source = quote_document(q, prefix).bulk_lines()
            lines += (action.encode(), source)
        bodies.append(b"\n".join(lines) + b"\n")

    def send(body: bytes) -> None:
        # Pre-serialised NDJSON: the transport sends bytes as they are.
        resp = es.bulk(operations=body)  # type: ignore[arg-type]
        if resp["errors"]:
            raise RuntimeError("raw bulk had item errors")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(send, bodies))
    deadline = started + RUN_TIMEOUT_S
    while count(es, prefix) < len(qs):
        if time.perf_counter() > deadline:
            raise TimeoutError("raw bulk documents never all searchable")
        time.sleep(POLL_S)
    return time.perf_counter() - started


def run_indexer(
    python: Path,
    kafka: str,
    es_url: str,
    es: Elasticsearch,
    topic: str,
    prefix: str,
    n: int,
    env: dict[str, str],
) -> tuple[float, int]:
    """Run the indexer until ``n`` documents are searchable: (seconds, peak RSS bytes).

    Its consumer group is named after ``prefix``: each new prefix reads the topic from the start.
    """
    variables = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "ELASTICSEARCH_URL": es_url,
        "INDEXER_TOPIC": topic,
        "INDEXER_DLQ_TOPIC": f"{topic}.dlq",
        "INDEXER_CONSUMER_GROUP": f"{prefix}-group",
        "INDEXER_INDEX_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    started = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "indexer_service"], cwd=REPO, env=variables)
    ps = psutil.Process(proc.pid)
    peak = 0
    try:
        while count(es, prefix) < n:
            if proc.poll() is not None:
                raise RuntimeError(f"indexer exited with {proc.returncode}")
            if time.perf_counter() - started > RUN_TIMEOUT_S:
                raise TimeoutError("indexer never indexed every document")
            peak = max(peak, ps.memory_info().rss)
            time.sleep(POLL_S)
        elapsed = time.perf_counter() - started
        peak = max(peak, ps.memory_info().rss)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka")
    parser.add_argument("--es")
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="paired indexer and raw runs")
    parser.add_argument("--batch-docs", type=int, default=None, help="INDEXER_BATCH_MAX_DOCS")
    parser.add_argument("--chunk-docs", type=int, default=None, help="INDEXER_BULK_CHUNK_DOCS")
    parser.add_argument("--parallel", type=int, default=None, help="INDEXER_BULK_PARALLELISM")
    parser.add_argument("--no-pin", action="store_true", help="leave CPU affinity alone")
    args = parser.parse_args()

    from indexer_service.settings import IndexerSettings

    defaults = IndexerSettings(_env_file=None)
    batch = args.batch_docs or defaults.batch_max_docs
    chunk = args.chunk_docs or defaults.bulk_chunk_docs
    parallel = args.parallel or defaults.bulk_parallelism
    kafka, es_url = endpoints(args)
    python = image_python("indexer_service")
    es = Elasticsearch(es_url, request_timeout=120)
    run = f"bench-{uuid.uuid4().hex[:8]}"
    n = args.docs

    qs = quotes(n)
    produce_s = preload(kafka, f"{run}-quotes", qs)
    print(f"preloaded {n} messages in {produce_s:.1f}s", file=sys.stderr)

    unpin: Callable[[], None]
    pinned, unpin = ("nothing pinned (--no-pin)", lambda: None) if args.no_pin else pin_stack()
    print(pinned, file=sys.stderr)
    raw_bulk(es, f"{run}-warmup", quotes(WARMUP_DOCS, offset=10 * n), chunk, parallel)

    env = {
        "INDEXER_BATCH_MAX_DOCS": str(batch),
        "INDEXER_BULK_CHUNK_DOCS": str(chunk),
        "INDEXER_BULK_PARALLELISM": str(parallel),
    }
    rounds: list[dict[str, float]] = []
    try:
        for i in range(args.rounds):
            idx, raw = f"{run}-idx{i}", f"{run}-raw{i}"
            # Every other round measures the limit first: what one run leaves to the
            # next (merges still running, a warmer JVM) then favours neither side.
            raw_s = raw_bulk(es, raw, qs, chunk, parallel) if i % 2 else None
            indexer_s, rss = run_indexer(python, kafka, es_url, es, f"{run}-quotes", idx, n, env)
            if raw_s is None:
                raw_s = raw_bulk(es, raw, qs, chunk, parallel)
            for prefix in (idx, raw):
                check_exactly(es, prefix, n)
            delete_indices(es, (idx, raw))
            rounds.append({"indexer_s": indexer_s, "raw_s": raw_s, "rss_mb": rss / 2**20})
            print(
                f"round {i + 1}: indexer {n / indexer_s:.0f} docs/s, raw {n / raw_s:.0f} docs/s, "
                f"ratio {raw_s / indexer_s:.2f}",
                file=sys.stderr,
            )
    finally:
        unpin()
    delete_named(kafka, es, (run,))  # the warm-up indices and the topic

    # The median round by ratio: a round pairs two runs made under the same
    # conditions, so a disturbance of one run spoils one round, not the figure.
    median = sorted(rounds, key=lambda r: r["raw_s"] / r["indexer_s"])[len(rounds) // 2]
    indexer_rate, raw_rate = n / median["indexer_s"], n / median["raw_s"]
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "docs": n,
        "batch_docs": batch,
        "chunk_docs": chunk,
        "parallelism": parallel,
        "rounds": [{k: round(v, 2) for k, v in r.items()} for r in rounds],
        "indexer_docs_per_s": round(indexer_rate),
        "raw_docs_per_s": round(raw_rate),
        "ratio": round(indexer_rate / raw_rate, 3),
        "indexer_peak_rss_mb": round(max(r["rss_mb"] for r in rounds), 1),
        "cpus": os.cpu_count(),
        "pinned": pinned,
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"index-{run}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result), file=sys.stderr)
    print(pinned)
    print(f"indexer peak RSS: {result['indexer_peak_rss_mb']} MB (target <= 200 MB)")
    print(
        f"indexer/raw-bulk ratio: {indexer_rate / raw_rate:.2f} "
        f"(indexer {indexer_rate:.0f} docs/s, raw {raw_rate:.0f} docs/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
