"""Indexer service: consumes quotes from Kafka and writes them to Elasticsearch.

Run it with ``python -m indexer_service``. Start with ``service.py``, the loop
and its per-batch contract; ``__main__.py`` wires it. Pure transforms
(documents, template, batch, retention rules, stats) sit apart from the I/O
wrappers (consumer, dead_letter, elastic_writer).
"""
