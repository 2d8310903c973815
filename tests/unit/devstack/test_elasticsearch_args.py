"""The ServerArgs bytes devstack writes to Elasticsearch's stdin, in its StreamOutput format."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import elasticsearch as es_node


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")],
)
def test_vint_matches_java_writevint(value: int, encoded: bytes) -> None:
    assert es_node._vint(value) == encoded


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("", b"\x00"),
        ("abc", b"\x03abc"),
        ("é", b"\x01\xc3\xa9"),  # two-byte unit
        ("€", b"\x01\xe2\x82\xac"),  # three-byte unit
        ("😀", b"\x02\xed\xa0\xbd\xed\xb8\x80"),  # a surrogate pair: two UTF-16 units
    ],
)
def test_strings_are_counted_in_utf16_units(text: str, encoded: bytes) -> None:
    assert es_node._string(text) == encoded


def test_server_args_layout() -> None:
    raw = es_node._server_args({"http.port": "19200"}, Path("/es/config"), Path("/es/logs"))
    # daemonize, quiet, no pid file
    assert raw[:3] == b"\x00\x00\x00"
    keystore = es_node._string("org.elasticsearch.common.settings.KeyStoreWrapper")
    assert raw[3:].startswith(keystore)
    setting = es_node._string("http.port") + b"\x00" + es_node._string("19200")
    assert setting in raw
    assert raw.endswith(es_node._string("/es/config") + es_node._string("/es/logs"))


def test_version_comes_from_the_pom() -> None:
    pom = (Path(es_node.__file__).parent / "pom.xml").read_text()
    assert f"<elasticsearch.version>{es_node.ELASTICSEARCH_VERSION}</elasticsearch.version>" in pom
    assert es_node.ELASTICSEARCH_VERSION.startswith("9.")
