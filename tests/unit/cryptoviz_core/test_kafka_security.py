"""ServiceSettings.kafka_security(): the one translation of KAFKA_* security settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cryptoviz_core.settings import ServiceSettings

# A made-up test value, not a credential.
PASSWORD = "s3cretpassw0rd"  # pragma: allowlist secret


def settings(**env: str) -> ServiceSettings:
    return ServiceSettings(_env_file=None, **env)  # type: ignore[call-arg]


def test_plaintext_adds_nothing() -> None:
    assert settings().kafka_security() == {}


def test_sasl_ssl_gives_kafka_python_its_scram_and_tls_arguments() -> None:
    options = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="indexer",
        kafka_sasl_password=PASSWORD,
        kafka_ssl_cafile="/certs/ca.crt",
    ).kafka_security()
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "indexer",
        "sasl_plain_password": PASSWORD,
        "ssl_check_hostname": True,
        "ssl_cafile": "/certs/ca.crt",
    }


def test_sasl_ssl_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_USERNAME"):
        settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="indexer")


def test_the_password_is_masked_when_settings_are_logged() -> None:
    view = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="indexer",
        kafka_sasl_password=PASSWORD,
    ).public_view()
    assert PASSWORD not in str(view)


def test_the_kafka_client_accepts_the_arguments() -> None:
    from kafka import KafkaProducer

    # The constructor raises ValueError("Unrecognized configs") for an unknown keyword;
    # api_version spares it a connection attempt.
    options = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="indexer",
        kafka_sasl_password=PASSWORD,
    ).kafka_security()
    producer = KafkaProducer(bootstrap_servers="127.0.0.1:1", api_version=(3, 9), **options)
    producer.close(timeout=0)
