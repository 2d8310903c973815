#!/usr/bin/env bash
# One-shot `topics` service: creates the quotes topic and its dead-letter topic
# (the broker does not auto-create topics), then applies the retention from .env
# so that changing it in .env takes effect on the next `docker compose up`.
# COMMAND_CONFIG (docker-compose.sasl.yml) names the client properties for SASL_SSL.
set -euo pipefail

auth=()
if [[ -n "${COMMAND_CONFIG:-}" ]]; then
  auth=(--command-config "$COMMAND_CONFIG")
fi

topic() {  # topic NAME PARTITIONS RETENTION_MS
  kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor 1 --config "retention.ms=$3"
  kafka-configs --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --alter \
    --entity-type topics --entity-name "$1" --add-config "retention.ms=$3"
}

topic crypto.quotes "$QUOTES_PARTITIONS" "$QUOTES_RETENTION_MS"
topic crypto.quotes.dlq "$DLQ_PARTITIONS" "$DLQ_RETENTION_MS"
kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --describe --topic 'crypto\.quotes.*'
