"""`cryptoviz`: the operator command for a running CryptoViz pipeline.

Topics, messages, dead letters and their replay, re-indexing and one-screen
status, on the same settings as the services (``KAFKA_*``, ``ELASTICSEARCH_*``,
``INDEXER_*``). Start at `cli.py`, which wires each subcommand; the pure logic
lives in `messages.py`, `dead_letters.py`, `offsets.py` and `health.py`, the I/O in
`kafka_io.py`, `elastic_io.py` and `zookeeper.py`.
"""
