"""Structured JSON logs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from cryptoviz_core.logs import configure_logging, read_logged


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


def test_read_logged_finds_one_message_among_plain_text_lines(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    log.write_text(
        '{"msg": "cycle done", "acked": 100}\n'
        "[1204/172301.1:ERROR:gpu_init.cc] chromium writes plain text\n"
        '{"msg": "starting"}\n'
        "[1, 2]\n"
        '{"msg": "cycle done", "acked": 0}\n'
    )
    assert [e["acked"] for e in read_logged(log, "cycle done")] == [100, 0]
