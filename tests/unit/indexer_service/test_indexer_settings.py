"""Settings come from INDEXER_* variables and are validated."""

import pytest
from pydantic import ValidationError

from indexer_service.settings import IndexerSettings


def test_reads_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXER_BATCH_MAX_DOCS", "123")
    monkeypatch.setenv("INDEXER_INDEX_PREFIX", "my-prefix")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "10.0.0.1:9092")
    monkeypatch.setenv("BATCH_MAX_DOCS", "999")  # unprefixed: not ours
    settings = IndexerSettings(_env_file=None)
    assert settings.batch_max_docs == 123
    assert settings.index_prefix == "my-prefix"
    assert settings.kafka_bootstrap_servers == "10.0.0.1:9092"


def test_rejects_inconsistent_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXER_RETRY_INITIAL_S", "10")
    monkeypatch.setenv("INDEXER_RETRY_MAX_S", "1")
    with pytest.raises(ValidationError, match="RETRY_INITIAL_S"):
        IndexerSettings(_env_file=None)


def test_rejects_uppercase_index_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXER_INDEX_PREFIX", "Crypto")
    with pytest.raises(ValidationError):
        IndexerSettings(_env_file=None)


def test_backoff_follows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXER_RETRY_MAX_ATTEMPTS", "3")
    backoff = IndexerSettings(_env_file=None).backoff()
    assert backoff.exhausted(3)
    assert not backoff.exhausted(2)
