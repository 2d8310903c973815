"""``python -m indexer_service``: wire the real clients into the service and run it.

Exit status: 0 after a clean stop (SIGTERM/SIGINT), 1 when Elasticsearch or the
DLQ stayed unavailable for every retry (nothing uncommitted is lost: Kafka
still holds it).
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from cryptoviz_core.elastic import connect
from cryptoviz_core.logs import configure_logging
from cryptoviz_core.retry import GaveUp
from indexer_service.consumer import QuoteConsumer
from indexer_service.dead_letter import DeadLetterProducer
from indexer_service.elastic_writer import ElasticWriter
from indexer_service.retention import Retention
from indexer_service.service import IndexerService
from indexer_service.settings import IndexerSettings

log = logging.getLogger("indexer_service")

# Enough fetched data for one full batch, without holding much more in memory.
FETCH_MAX_BYTES = 8 * 1024 * 1024


def build(settings: IndexerSettings) -> IndexerService:
    """The service with its real Kafka and Elasticsearch clients; connects to nothing yet."""
    # The writer owns retries; the transport must not retry behind its back.
    client = connect(settings, max_retries=0, retry_on_timeout=False)
    consumer = QuoteConsumer(
        settings.kafka_bootstrap_servers,
        settings.topic,
        settings.consumer_group,
        max_poll_records=settings.batch_max_docs,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.session_timeout_ms // 3,
        fetch_max_bytes=FETCH_MAX_BYTES,
        **settings.kafka_security(),
    )
    writer = ElasticWriter(
        client,
        settings.backoff(),
        chunk_docs=settings.bulk_chunk_docs,
        parallelism=settings.bulk_parallelism,
    )
    dead_letters = DeadLetterProducer(
        settings.kafka_bootstrap_servers,
        settings.dlq_topic,
        settings.backoff(),
        **settings.kafka_security(),
    )
    retention = Retention(client, settings.index_prefix, settings.retention_days)
    return IndexerService(settings, consumer, writer, dead_letters, retention)


def main() -> int:
    """Run until SIGTERM/SIGINT; return the process exit status."""
    settings = IndexerSettings()
    configure_logging("indexer", settings.log_level)
    service = build(settings)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        service.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        service.run()
    except GaveUp as err:
        log.error("indexer gave up", extra={"error": str(err)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
