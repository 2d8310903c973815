#!/usr/bin/env bash
# One-shot `setup` service (Elastic's docker-compose pattern, single node):
# 1. creates a CA and the node certificate once (kept in the es-certs volume),
# 2. publishes only the CA certificate to the es-ca volume for the services,
# 3. waits for Elasticsearch, then sets the kibana_system password and creates
#    the least-privilege roles and users of the indexer and the IA module.
# Every step is idempotent, so it runs again on each `docker compose up`.
set -euo pipefail

ES_URL=https://elasticsearch:9200
CERTS=config/certs
CA_CERT=$CERTS/ca/ca.crt

for var in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD INDEXER_ES_PASSWORD IA_ES_PASSWORD; do
  # Passwords go into JSON bodies below; alphanumeric keeps quoting trivial.
  if [[ ! ${!var} =~ ^[A-Za-z0-9]{12,}$ ]]; then
    echo "$var must be at least 12 letters or digits" >&2
    exit 1
  fi
done

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
install -m 0644 "$CA_CERT" /ca/ca.crt

es() {  # es METHOD PATH [JSON]: one authenticated request, prints the body.
  curl -s --cacert "$CA_CERT" -u "elastic:$ELASTIC_PASSWORD" -X "$1" "$ES_URL$2" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

echo "waiting for Elasticsearch"
until curl -s --cacert "$CA_CERT" "$ES_URL" | grep -q 'missing authentication credentials'; do
  sleep 5
done

echo "setting the kibana_system password"
until es POST /_security/user/kibana_system/_password \
  "{\"password\":\"$KIBANA_SYSTEM_PASSWORD\"}" | grep -q '^{}'; do
  sleep 5
done

put() {  # put PATH JSON: create or update a role or user; fail loudly on an error.
  local body
  body=$(es PUT "$1" "$2")
  if [[ -z $body || $body == *'"error"'* ]]; then
    echo "PUT $1 failed: $body" >&2
    exit 1
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
