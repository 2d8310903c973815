#!/usr/bin/env bash
# One-shot `kafka-sasl-setup` service of docker-compose.sasl.yml, run before the
# broker starts. Idempotent: keeps an existing CA and keystores.
#  1. A private CA and the broker's keystore/truststore (SAN: kafka, localhost,
#     127.0.0.1) in /etc/kafka/secrets, plus /kafka-ca/ca.crt for the Python clients.
#  2. The SCRAM-SHA-512 credentials of admin, scraper and indexer, written to
#     ZooKeeper (the broker reads them from there; it needs admin's to start).
#  3. client.properties for the Kafka CLI tools (healthcheck, `topics`).
set -euo pipefail

for var in KAFKA_SSL_PASSWORD KAFKA_ADMIN_PASSWORD KAFKA_SCRAPER_PASSWORD KAFKA_INDEXER_PASSWORD; do
  # They go into JAAS and properties files below; alphanumeric keeps quoting trivial.
  if [[ ! ${!var} =~ ^[A-Za-z0-9]{12,}$ ]]; then
    echo "$var must be at least 12 letters or digits" >&2
    exit 1
  fi
done

# Run as root (compose `user: "0"`): a fresh /kafka-ca volume is root-owned. What
# the broker, its healthcheck and `topics` read goes to the image's user at the end.
BROKER_USER=${BROKER_USER:-appuser}
cd /etc/kafka/secrets
if [[ ! -f kafka.keystore.jks ]]; then
  # keytool only (the image has Java, not necessarily openssl). The CA key lives
  # in ca.p12 just long enough to sign the broker's certificate.
  store=(-storepass "$KAFKA_SSL_PASSWORD" -keypass "$KAFKA_SSL_PASSWORD" -noprompt)
  san="SAN=DNS:kafka,DNS:localhost,IP:127.0.0.1"
  keytool -genkeypair -alias ca -dname "CN=cryptoviz-kafka-ca" -ext bc:c -keyalg RSA \
    -keysize 4096 -validity 3650 -storetype PKCS12 -keystore ca.p12 "${store[@]}"
  keytool -exportcert -rfc -alias ca -keystore ca.p12 -file ca.crt "${store[@]}"
  keytool -genkeypair -alias kafka -dname "CN=kafka" -ext "$san" -keyalg RSA -keysize 4096 \
    -validity 825 -keystore kafka.keystore.jks "${store[@]}"
  keytool -certreq -alias kafka -keystore kafka.keystore.jks -file kafka.csr "${store[@]}"
  keytool -gencert -rfc -alias ca -keystore ca.p12 -ext "$san" -validity 825 \
    -infile kafka.csr -outfile kafka.crt "${store[@]}"
  keytool -importcert -alias ca -file ca.crt -keystore kafka.keystore.jks "${store[@]}"
  keytool -importcert -alias kafka -file kafka.crt -keystore kafka.keystore.jks "${store[@]}"
  keytool -importcert -alias ca -file ca.crt -keystore kafka.truststore.jks "${store[@]}"
  rm -f ca.p12 kafka.csr  # the CA signs nothing else
fi
# The clients' CA, in its own volume: the services must not see the keystores.
install -m 0644 ca.crt /kafka-ca/ca.crt

for user in admin scraper indexer; do
  var="KAFKA_${user^^}_PASSWORD"
  kafka-configs --zookeeper "$ZOOKEEPER_CONNECT" --alter --entity-type users \
    --entity-name "$user" --add-config "SCRAM-SHA-512=[password=${!var}]"
done

cat > client.properties <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
ssl.truststore.location=/etc/kafka/secrets/kafka.truststore.jks
ssl.truststore.password=${KAFKA_SSL_PASSWORD}
PROPERTIES
chmod 0600 client.properties
chown -R "$BROKER_USER" /etc/kafka/secrets
