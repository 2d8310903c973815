"""The one place that builds an Elasticsearch client from settings."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from cryptoviz_core.settings import ServiceSettings

REQUEST_TIMEOUT_S = 30.0


def connect(settings: ServiceSettings, **options: Any) -> Elasticsearch:
    """A client for ``settings.elasticsearch_url``; makes no request until first used.

    Auth is an API key when one is set, else basic auth when a username is set.
    TLS certificates are always verified, against ``elasticsearch_ca_cert`` when given.
    """
    kwargs: dict[str, Any] = {"request_timeout": REQUEST_TIMEOUT_S, **options}
    if settings.elasticsearch_api_key is not None:
        kwargs["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username and settings.elasticsearch_password is not None:
        kwargs["basic_auth"] = (
            settings.elasticsearch_username,
            settings.elasticsearch_password.get_secret_value(),
        )
    if settings.elasticsearch_ca_cert is not None:
        kwargs["ca_certs"] = str(settings.elasticsearch_ca_cert)
    return Elasticsearch(settings.elasticsearch_url, **kwargs)
