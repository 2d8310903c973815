"""Render the services' settings into `.env.example`, so it documents every variable.

    python -m deploy.env_reference           # rewrite the generated block of .env.example
    python -m deploy.env_reference --check   # exit 1 when .env.example is stale

Each field of each settings class below is one environment variable: its name
is the class's ``env_prefix`` plus the field name, upper-cased; only the shared
fields of `ServiceSettings` name theirs with a ``validation_alias`` (a name or
`AliasChoices`), and `problems` reports any other field read under a name
without its class's prefix. The block lists them commented
out with their defaults (defaults apply); secrets are always shown empty. A
default that depends on the machine is rendered from the field's
``json_schema_extra={"env_example": ...}``, or with the clone's path as ``<repo>``.
Only the part between `BEGIN` and `END` is rewritten; the compose section above
it is written by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing
from pathlib import Path, PurePath
from typing import Any

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from cryptoviz.settings import CliSettings
from cryptoviz_core.settings import ServiceSettings
from devstack.settings import DevstackSettings
from ia_module.settings import IASettings
from indexer_service.settings import IndexerSettings
from pipeline_runner.settings import RunSettings
from scraper_service.settings import ScraperSettings

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
BEGIN = "# ---- BEGIN generated: service settings (python -m deploy.env_reference) ----"
END = "# ---- END generated ----"
INTRO = (
    "# Every setting of the services, with its default. Under compose, set one in the",
    "# service's `environment:` in docker-compose.yml; elsewhere, in the environment or in",
    "# .env (DEVSTACK_* are read from the environment only).",
)

# Title and settings class of each section, in order.
SECTIONS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("Shared by scraper, indexer and ia (cryptoviz_core/settings.py)", ServiceSettings),
    ("Scraper (scraper_service/settings.py)", ScraperSettings),
    ("Indexer (indexer_service/settings.py)", IndexerSettings),
    ("IA (ia_module/settings.py)", IASettings),
    ("Local runner, python -m pipeline_runner (pipeline_runner/settings.py)", RunSettings),
    ("Operator command, cryptoviz (cryptoviz/settings.py)", CliSettings),
    ("Local stack, python -m devstack (devstack/settings.py)", DevstackSettings),
)


def own_fields(cls: type[BaseSettings]) -> dict[str, FieldInfo]:
    """The fields ``cls`` declares itself: inherited ones are documented with their class."""
    inherited = {
        name
        for base in cls.__mro__[1:]
        if isinstance(base, type) and issubclass(base, BaseSettings)
        for name in base.model_fields
    }
    return {n: f for n, f in cls.model_fields.items() if n not in inherited}


def env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The variables a field is read from, the one that wins first."""
    alias = field.validation_alias
    if alias is None:
        return [f"{cls.model_config.get('env_prefix', '')}{name}".upper()]
    if isinstance(alias, str):
        return [alias.upper()]
    if isinstance(alias, AliasChoices) and all(isinstance(c, str) for c in alias.choices):
        return [str(c).upper() for c in alias.choices]
    raise TypeError(f"{cls.__name__}.{name}: unsupported validation_alias {alias!r}")


def is_secret(field: FieldInfo) -> bool:
    def walk(tp: Any) -> bool:
        return tp is SecretStr or any(walk(arg) for arg in typing.get_args(tp))

    return walk(field.annotation)


def render_default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "env_example" in extra:
        return str(extra["env_example"])
    value = field.get_default(call_default_factory=False)
    if is_secret(field) or value is None or field.default_factory is not None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, PurePath):
        value = str(value)
    return str(value).replace(str(ROOT), "<repo>")


def render_section(title: str, cls: type[BaseSettings]) -> list[str]:
    lines = ["", f"# -- {title} --"]
    for name, field in own_fields(cls).items():
        first, *others = env_names(cls, name, field)
        also = f" Also read as {', '.join(others)}." if others else ""
        lines.append(f"# {field.description or ''}{also}")
        lines.append(f"# {first}={render_default(field)}")
    return lines


def render_block(sections: tuple[tuple[str, type[BaseSettings]], ...] = SECTIONS) -> str:
    lines = [BEGIN, *INTRO]
    for title, cls in sections:
        lines += render_section(title, cls)
    return "\n".join([*lines, END]) + "\n"


def render_file(current: str, block: str | None = None) -> str:
    """``current`` with its generated block replaced by ``block``, or the block appended."""
    block = render_block() if block is None else block
    if BEGIN in current:
        head, rest = current.split(BEGIN, 1)
        if END not in rest:
            raise ValueError(f"{BEGIN!r} without {END!r}")
        return head + block + rest.split(END, 1)[1].removeprefix("\n")
    return current.rstrip("\n") + "\n\n" + block


def problems(classes: typing.Iterable[type[BaseSettings]], text: str) -> list[str]:
    """Fields without a description, fields read without their class's prefix, and
    variables ``text`` does not document."""
    documented = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", text, re.M))
    for names in re.findall(r" Also read as ([A-Z0-9_, ]+)\.$", text, re.M):
        documented.update(names.split(", "))
    found = []
    for cls in classes:
        for name, field in cls.model_fields.items():
            if not field.description:
                found.append(f"{cls.__name__}.{name} has no description")
            prefixed = f"{cls.model_config.get('env_prefix', '')}{name}".upper()
            if name not in ServiceSettings.model_fields and prefixed not in env_names(
                cls, name, field
            ):
                found.append(f"{cls.__name__}.{name} is not read from {prefixed}")
            found += [
                f"{env} ({cls.__name__}.{name}) is not in .env.example"
                for env in env_names(cls, name, field)
                if env not in documented
            ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when .env.example is stale")
    args = parser.parse_args(argv)
    missing = problems((cls for _, cls in SECTIONS), render_block())
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 1
    current = ENV_EXAMPLE.read_text()
    wanted = render_file(current)
    if args.check:
        if wanted != current:
            print(".env.example is stale: run python -m deploy.env_reference", file=sys.stderr)
            return 1
        return 0
    ENV_EXAMPLE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
