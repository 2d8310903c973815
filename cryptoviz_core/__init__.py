"""Code shared by every CryptoViz service; each service package imports from here.

Start with `schema` (QuoteV1, the one Kafka message; `decode_quote`), then
`settings` (ServiceSettings and the env_prefix convention every service's
settings follow) and `retry` (the one retry helper and what "retryable" means).
`names` holds the shared topic and index names, `elastic` builds the
Elasticsearch client, `logs` the JSON log lines, `health` the heartbeat file.
"""
