#!/usr/bin/env bash
# One-shot `setup` service (Elastic's docker-compose pattern, single node):
# 1. creates a CA and the node certificate once (kept in the es-certs volume),
# 2. publishes only the CA certificate to the es-ca volume for the services,
# 3. waits for Elasticsearch, then sets the kibana_system password and creates
#    the least-privilege roles and users of the indexer and the IA module.
# Every step is idempotent, so it runs again on each `docker compose up`. It first
# checks the secrets (Kibana's key too), and its waits are bounded: a failure is
# one line in `docker compose logs setup`, never an endless retry.
set -euo pipefail

# Overridable only so tests can run this script against a local server.
ES_URL=${ES_URL:-https://elasticsearch:9200}
CA_EXPORT_DIR=${CA_EXPORT_DIR:-/ca}
ATTEMPTS=${SETUP_ATTEMPTS:-120}
RETRY_S=${SETUP_RETRY_S:-5}
CERTS=config/certs
CA_CERT=$CERTS/ca/ca.crt

fail() {  # one line on stderr, exit 1: compose shows it with `docker compose logs setup`
  echo "$*" >&2
  exit 1
}

for var in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD INDEXER_ES_PASSWORD IA_ES_PASSWORD; do
  # Passwords go into JSON bodies below; alphanumeric keeps quoting trivial.
  if [[ ! ${!var} =~ ^[A-Za-z0-9]{12,}$ ]]; then
    fail "$var must be at least 12 letters or digits"
  fi
done
# Kibana refuses a shorter key and restart-loops; Kibana itself is never told here,
# so this is where a bad key is caught, before anything starts.
key=${KIBANA_ENCRYPTION_KEY:-}
if ((${#key} < 32)) || [[ $key == *change-me* ]]; then
  fail "KIBANA_ENCRYPTION_KEY must be at least 32 characters and not a placeholder (e.g. openssl rand -hex 32)"
fi

if [ ! -f "$CERTS/ca.zip" ]; then
  echo "creating the CA"
  bin/elasticsearch-certutil ca --silent --pem -out "$CERTS/ca.zip"
  unzip -q "$CERTS/ca.zip" -d "$CERTS"
fi
if [ ! -f "$CERTS/certs.zip" ]; then
  echo "creating the node certificate"
  # `localhost` and 127.0.0.1 let host tools verify the published port too.
  cat >"$CERTS/instances.yml" <<'YAML'
instances:
  - name: elasticsearch
    dns: [elasticsearch, localhost]
    ip: [127.0.0.1]
YAML
  bin/elasticsearch-certutil cert --silent --pem -out "$CERTS/certs.zip" \
    --in "$CERTS/instances.yml" --ca-cert "$CA_CERT" --ca-key "$CERTS/ca/ca.key"
  unzip -q "$CERTS/certs.zip" -d "$CERTS"
fi
# Elasticsearch and Kibana run as uid 1000 with gid 0: group-readable is enough,
# and the private keys stay unreadable to anyone else.
chown -R root:root "$CERTS"
find "$CERTS" -type d -exec chmod 750 {} +
find "$CERTS" -type f -exec chmod 640 {} +
# The CA certificate is public; the Python services (non-root) read it from here.
install -m 0644 "$CA_CERT" "$CA_EXPORT_DIR/ca.crt"

es() {  # es METHOD PATH [JSON]: one authenticated request; prints the body, then the status.
  curl -s --cacert "$CA_CERT" -u "elastic:$ELASTIC_PASSWORD" -X "$1" "$ES_URL$2" \
    -H 'Content-Type: application/json' ${3:+-d "$3"} -w '\n%{http_code}'
}

echo "waiting for Elasticsearch"
for ((i = 1; ; i++)); do
  curl -s --cacert "$CA_CERT" "$ES_URL" | grep -q 'missing authentication credentials' && break
  ((i < ATTEMPTS)) || fail "Elasticsearch did not answer at $ES_URL after $ATTEMPTS attempts"
  sleep "$RETRY_S"
done

echo "setting the kibana_system password"
unauthorized=0
for ((i = 1; ; i++)); do
  response=$(es POST /_security/user/kibana_system/_password \
    "{\"password\":\"$KIBANA_SYSTEM_PASSWORD\"}") || true
  status=${response##*$'\n'}
  [[ $status == 200 ]] && break
  # Elasticsearch keeps the elastic password of its first start (in the es-data
  # volume); a 401 that persists means .env's ELASTIC_PASSWORD was changed since.
  if [[ $status == 401 ]] && ((++unauthorized >= 3)); then
    fail "ELASTIC_PASSWORD is refused (HTTP 401): Elasticsearch still has the password of its first start; set the old one back in .env or see README, 'Changing a password'"
  fi
  ((i < ATTEMPTS)) || fail "could not set the kibana_system password after $ATTEMPTS attempts; last response: HTTP $status ${response%$'\n'*}"
  sleep "$RETRY_S"
done

put() {  # put PATH JSON: create or update a role or user; fail loudly on an error.
  local response status
  response=$(es PUT "$1" "$2") || true
  status=${response##*$'\n'}
  if [[ $status != 2?? ]]; then
    fail "PUT $1 failed: HTTP $status ${response%$'\n'*}"
  fi
}

# Indexer: writes the daily crypto-quotes-YYYY.MM.DD indices, installs their
# template, and deletes the ones past retention (delete_index).
put /_security/role/cryptoviz_indexer '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [{
    "names": ["crypto-quotes-*"],
    "privileges": ["create_index", "write", "view_index_metadata", "delete_index"]
  }]
}'
# IA: reads quotes; owns the predictions and metrics indices, which it creates,
# writes, reads back, refreshes (maintenance) and purges by query (write).
put /_security/role/cryptoviz_ia '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [
    {"names": ["crypto-quotes-*"], "privileges": ["read", "view_index_metadata"]},
    {
      "names": ["crypto-predictions*", "crypto-forecast-metrics*"],
      "privileges": ["create_index", "write", "read", "view_index_metadata", "maintenance"]
    }
  ]
}'
put /_security/user/cryptoviz_indexer \
  "{\"password\":\"$INDEXER_ES_PASSWORD\",\"roles\":[\"cryptoviz_indexer\"]}"
put /_security/user/cryptoviz_ia \
  "{\"password\":\"$IA_ES_PASSWORD\",\"roles\":[\"cryptoviz_ia\"]}"
echo "setup done"
