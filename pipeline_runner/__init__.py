"""The local runner: scraper, indexer and IA supervised on the local stack, with a live view.

``make run`` / ``python -m pipeline_runner``. Start with `__main__` (what a run
does, in order); `supervisor` restarts crashed children, `sources` reads Kafka
and Elasticsearch for the view, `metrics` and `view` compute and show it, and
`settings` passes the run's names and demo tuning to the children.
"""
