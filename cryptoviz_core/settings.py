"""Connection settings shared by every service, read once from the environment.

One convention for every service. A service declares a frozen subclass with
its own ``env_prefix``, and its fields are read from ``<PREFIX><FIELD NAME>``::

    class IndexerSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="INDEXER_")
        topic: str = Field(default=QUOTES_TOPIC, description="Kafka topic read.")  # INDEXER_TOPIC

The fields below are shared: each names its variable with an explicit alias, so
``KAFKA_BOOTSTRAP_SERVERS`` or ``ELASTICSEARCH_URL`` mean the same thing in every
service whatever its prefix. Values come from the process environment, then
from ``.env`` (python-dotenv, via pydantic-settings). Secrets are ``SecretStr``:
they are masked whenever settings are logged. Code and tests build settings by
field name (``IndexerSettings(topic="t")``) or ``settings.model_copy(update=...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Fields every service needs: where Kafka and Elasticsearch are, and how to log."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, validate_by_name=True
    )

    log_level: str = Field(
        validation_alias="LOG_LEVEL",
        default="INFO",
        pattern=r"^(DEBUG|INFO|WARNING|ERROR)$",
        description="Log level: DEBUG, INFO, WARNING or ERROR.",
    )
    kafka_bootstrap_servers: str = Field(
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        default="127.0.0.1:9092",
        description="Kafka brokers, comma-separated host:port.",
    )
    # PLAINTEXT on the local stack; SASL_SSL with SCRAM-SHA-512 under
    # docker-compose.sasl.yml. The CA verifies the broker's certificate (the
    # system CAs when unset); hostnames are always checked.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = Field(
        validation_alias="KAFKA_SECURITY_PROTOCOL",
        default="PLAINTEXT",
        description="Kafka security protocol: PLAINTEXT or SASL_SSL.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = Field(
        validation_alias="KAFKA_SASL_MECHANISM",
        default="SCRAM-SHA-512",
        description="Kafka SASL mechanism (SASL_SSL only).",
    )
    kafka_sasl_username: str | None = Field(
        validation_alias="KAFKA_SASL_USERNAME",
        default=None,
        description="Kafka SASL user; required with SASL_SSL.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        validation_alias="KAFKA_SASL_PASSWORD",
        default=None,
        description="Kafka SASL password; required with SASL_SSL.",
    )
    kafka_ssl_cafile: Path | None = Field(
        validation_alias="KAFKA_SSL_CAFILE",
        default=None,
        description="CA file (PEM) that verifies the broker; system CAs when unset.",
    )
    elasticsearch_url: str = Field(
        validation_alias="ELASTICSEARCH_URL",
        default="http://127.0.0.1:9200",
        description="Elasticsearch URL (http or https).",
    )
    elasticsearch_username: str | None = Field(
        validation_alias="ELASTICSEARCH_USERNAME",
        default=None,
        description="Elasticsearch basic-auth user; none when unset.",
    )
    elasticsearch_password: SecretStr | None = Field(
        validation_alias="ELASTICSEARCH_PASSWORD",
        default=None,
        description="Elasticsearch basic-auth password.",
    )
    elasticsearch_api_key: SecretStr | None = Field(
        validation_alias="ELASTICSEARCH_API_KEY",
        default=None,
        description="Elasticsearch API key; used instead of user and password when set.",
    )
    # CA that signed the cluster's certificate; certificates are always verified.
    elasticsearch_ca_cert: Path | None = Field(
        validation_alias="ELASTICSEARCH_CA_CERT",
        default=None,
        description="CA certificate file (PEM) of the Elasticsearch cluster.",
    )
    # Touched once per loop iteration when set (cryptoviz_core.health); the images set it.
    health_file: Path | None = Field(
        validation_alias="HEALTH_FILE",
        default=None,
        description="Heartbeat file touched by the service loop; none when unset.",
    )

    @model_validator(mode="after")
    def _kafka_credentials(self) -> ServiceSettings:
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    def kafka_security(self) -> dict[str, Any]:
        """The kafka-python keyword arguments that secure every client (producer, consumer,
        admin): pass them next to ``bootstrap_servers`` and the client's own tuning.

        ``{}`` for PLAINTEXT. Pure. The dict holds the password in clear: never log it.
        """
        # _kafka_credentials guarantees a password whenever the protocol is SASL_SSL.
        if self.kafka_security_protocol == "PLAINTEXT" or self.kafka_sasl_password is None:
            return {}
        options: dict[str, Any] = {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_sasl_username,
            "sasl_plain_password": self.kafka_sasl_password.get_secret_value(),
            "ssl_check_hostname": True,
        }
        if self.kafka_ssl_cafile is not None:
            options["ssl_cafile"] = str(self.kafka_ssl_cafile)
        return options

    def public_view(self) -> dict[str, Any]:
        """The settings as a loggable dict, with secrets masked."""
        return self.model_dump(mode="json")
