#!/usr/bin/env bash
# One-shot `topics` service: creates the quotes topic and its dead-letter topic
# (the broker does not auto-create topics), grows their partitions to the counts
# in .env, then applies the retention from .env, so that changing either in .env
# takes effect on the next `docker compose up`. Kafka cannot remove partitions:
# a lower count is reported and the topic keeps the ones it has.
# COMMAND_CONFIG (docker-compose.sasl.yml) names the client properties for SASL_SSL.
set -euo pipefail

QUOTES_TOPIC=${QUOTES_TOPIC:-crypto.quotes}
DLQ_TOPIC=${DLQ_TOPIC:-crypto.quotes.dlq}
auth=()
if [[ -n "${COMMAND_CONFIG:-}" ]]; then
  auth=(--command-config "$COMMAND_CONFIG")
fi

partitions() {  # partitions NAME: the topic's partition count
  kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --describe \
    --topic "${1//./\\.}" | grep -oE 'PartitionCount: ?[0-9]+' | grep -oE '[0-9]+$'
}

topic() {  # topic NAME PARTITIONS RETENTION_MS
  kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor 1 --config "retention.ms=$3"
  # --if-not-exists leaves an existing topic as it was.
  local current
  current=$(partitions "$1")
  if ((current < $2)); then
    echo "growing $1 from $current to $2 partitions"
    kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --alter \
      --topic "$1" --partitions "$2"
  elif ((current > $2)); then
    echo "$1 keeps its $current partitions, not $2: Kafka cannot remove partitions" \
      "(recreate the topic, losing its messages, to have fewer)" >&2
  fi
  kafka-configs --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --alter \
    --entity-type topics --entity-name "$1" --add-config "retention.ms=$3"
}

topic "$QUOTES_TOPIC" "$QUOTES_PARTITIONS" "$QUOTES_RETENTION_MS"
topic "$DLQ_TOPIC" "$DLQ_PARTITIONS" "$DLQ_RETENTION_MS"
kafka-topics --bootstrap-server "$BOOTSTRAP_SERVER" "${auth[@]}" --describe \
  --topic "${QUOTES_TOPIC//./\\.}.*"
