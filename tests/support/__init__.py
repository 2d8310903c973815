"""Test support shared by the unit, integration and chaos suites: the stack fixtures
(`stack_fixtures`, registered by tests/conftest.py), the indexer run as a real
process (`indexer_run`), in-memory stand-ins for the indexer's I/O
(`indexer_fakes`) and listing pages built for the scraper's tests (`listing_pages`)."""
