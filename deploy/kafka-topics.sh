#!/usr/bin/env bash
# One-shot `topics` service: creates the quotes topic and its dead-letter topic
# (the broker does not auto-create topics), then applies the retention from .env
# so that changing it in .env takes effect on the next `docker compose up`.
set -euo pipefail

topic() {  # topic NAME PARTITIONS RETENTION_MS
  kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor 1 --config "retention.ms=$3"
  kafka-configs --bootstrap-server "$BOOTSTRAP_SERVER" --alter \
    --entity-type topics --entity-name "$1" --add-config "retention.ms=$3"
}

topic crypto.quotes "$QUOTES_PARTITIONS" "$QUOTES_RETENTION_MS"
topic crypto.quotes.dlq "$DLQ_PARTITIONS" "$DLQ_RETENTION_MS"
kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" --describe --topic 'crypto\.quotes.*'
