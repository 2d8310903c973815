"""Indexer service: consumes quotes from Kafka and writes them to Elasticsearch.

Run it with ``python -m indexer_service``. Pure transforms (documents, template,
batch, retention rules, stats) sit apart from the I/O wrappers (consumer,
dead_letter, elastic_writer); ``service.py`` is the loop and ``__main__.py`` wires.
"""
