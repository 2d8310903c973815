"""Connection settings shared by every service, read once from the environment.

Each service defines its own frozen settings class that inherits these fields,
so ``KAFKA_BOOTSTRAP_SERVERS`` or ``ELASTICSEARCH_URL`` mean the same thing
everywhere. Values come from the process environment, then from ``.env``
(python-dotenv, via pydantic-settings). Secrets are ``SecretStr``: they are
masked whenever settings are logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Fields every service needs: where Kafka and Elasticsearch are, and how to log."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # PLAINTEXT on the local stack; SASL_SSL with SCRAM-SHA-512 under
    # docker-compose.sasl.yml. The CA verifies the broker's certificate (the
    # system CAs when unset); hostnames are always checked.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str | None = None
    elasticsearch_password: SecretStr | None = None
    elasticsearch_api_key: SecretStr | None = None
    # CA that signed the cluster's certificate; certificates are always verified.
    elasticsearch_ca_cert: Path | None = None
    # Touched once per loop iteration when set (cryptoviz_core.health); the images set it.
    health_file: Path | None = None

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
