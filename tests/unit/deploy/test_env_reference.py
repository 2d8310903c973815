"""deploy/env_reference.py: .env.example documents every settings field, and cannot drift."""

from __future__ import annotations

from pydantic import Field

from deploy import env_reference
from scraper_service.settings import ScraperSettings

CLASSES = [cls for _, cls in env_reference.SECTIONS]


def test_env_example_is_the_generators_output() -> None:
    text = env_reference.ENV_EXAMPLE.read_text()
    assert env_reference.render_file(text) == text, "run: python -m deploy.env_reference"


def test_every_variable_is_documented() -> None:
    assert env_reference.problems(CLASSES, env_reference.ENV_EXAMPLE.read_text()) == []


def test_the_compose_section_is_kept() -> None:
    text = env_reference.ENV_EXAMPLE.read_text()
    head = text.split(env_reference.BEGIN, 1)[0]
    assert head.startswith("# CryptoViz docker compose settings.")
    assert "ELASTIC_PASSWORD=change-me\n" in head
    assert env_reference.render_file(head) == text


def test_secrets_render_empty() -> None:
    block = env_reference.render_block()
    for name in ("KAFKA_SASL_PASSWORD", "ELASTICSEARCH_PASSWORD", "ELASTICSEARCH_API_KEY"):
        assert f"\n# {name}=\n" in block


def test_an_undocumented_field_is_reported() -> None:
    class Undocumented(ScraperSettings):
        extra: int = 1
        named: int = Field(default=2, validation_alias="SCRAPER_OTHER_NAME")

    text = env_reference.ENV_EXAMPLE.read_text()
    assert env_reference.problems([Undocumented], text) == [
        "Undocumented.extra has no description",
        "SCRAPER_EXTRA (Undocumented.extra) is not in .env.example",
        "Undocumented.named has no description",
        "Undocumented.named is not read from SCRAPER_NAMED",
        "SCRAPER_OTHER_NAME (Undocumented.named) is not in .env.example",
    ]
    block = env_reference.render_block((("test", Undocumented),))
    assert "\n# SCRAPER_EXTRA=1\n" in block
    assert env_reference.problems([Undocumented], block)  # still no description
