"""Structured JSON logs."""

from __future__ import annotations

import io
import json
import logging

from cryptoviz_core.logs import configure_logging


def test_one_json_object_per_line_with_extras() -> None:
    stream = io.StringIO()
    configure_logging("scraper", "INFO", stream)
    logging.getLogger("cryptoviz.test").info("cycle done", extra={"parsed": 100, "page": 2})
    logging.getLogger("cryptoviz.test").debug("not shown")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["msg"] == "cycle done"
    assert entry["service"] == "scraper"
    assert entry["level"] == "INFO"
    assert entry["parsed"] == 100
    assert entry["page"] == 2
    assert entry["ts"].endswith("+00:00")


def test_exceptions_are_kept() -> None:
    stream = io.StringIO()
    configure_logging("indexer", "INFO", stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("cryptoviz.test").exception("write failed")
    entry = json.loads(stream.getvalue())
    assert "RuntimeError: boom" in entry["exc"]
