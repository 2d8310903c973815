"""The local runner: scraper, indexer and IA supervised on the local stack, with a live view."""
