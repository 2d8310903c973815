"""Connection settings shared by every service, read once from the environment.

Each service defines its own frozen settings class that inherits these fields,
so ``KAFKA_BOOTSTRAP_SERVERS`` or ``ELASTICSEARCH_URL`` mean the same thing
everywhere. Values come from the process environment, then from ``.env``
(python-dotenv, via pydantic-settings). Secrets are ``SecretStr``: they are
masked whenever settings are logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Fields every service needs: where Kafka and Elasticsearch are, and how to log."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str | None = None
    elasticsearch_password: SecretStr | None = None
    elasticsearch_api_key: SecretStr | None = None
    # CA that signed the cluster's certificate; certificates are always verified.
    elasticsearch_ca_cert: Path | None = None
    # Touched once per loop iteration when set (cryptoviz_core.health); the images set it.
    health_file: Path | None = None

    def public_view(self) -> dict[str, Any]:
        """The settings as a loggable dict, with secrets masked."""
        return self.model_dump(mode="json")
