"""Which daily indices retention deletes."""

from datetime import date

from indexer_service.documents import index_name
from indexer_service.retention import expired_indices, index_day


def test_keeps_exactly_retention_days() -> None:
    names = [
        "crypto-quotes-2026.10.27",
        "crypto-quotes-2026.10.28",
        "crypto-quotes-2026.10.29",
        "crypto-quotes-2026.11.28",
    ]
    # 30 days on 2026-11-28: today and the 30 days before it (from 10.29) are kept.
    expired = expired_indices("crypto-quotes", names, date(2026, 11, 28), 30)
    assert expired == ["crypto-quotes-2026.10.27", "crypto-quotes-2026.10.28"]
    expired = expired_indices("crypto-quotes", names, date(2026, 11, 28), 31)
    assert expired == ["crypto-quotes-2026.10.27"]


def test_ignores_names_that_are_not_this_prefix_daily_indices() -> None:
    names = [
        "crypto-quotes-2020.01.01-restored",
        "crypto-quotes-archive-2020.01.01",
        "crypto-quotes-extra-2020.01.01",
        "other-2020.01.01",
        "crypto-quotes-2020.02.30",  # not a date
        "crypto-quotesx2020.01.01",
    ]
    assert expired_indices("crypto-quotes", names, date(2026, 11, 28), 1) == []


def test_prefix_is_matched_literally() -> None:
    assert index_day("a.b", "aXb-2020.01.01") is None
    assert index_day("a.b", "a.b-2020.01.01") == date(2020, 1, 1)


def test_index_day_reads_back_the_day_the_index_was_named_for() -> None:
    for stamp in ("2026-02-28T23:59:59.999Z", "2028-02-29T00:00:00.000Z"):
        assert index_day("p", index_name("p", stamp)) == date.fromisoformat(stamp[:10])
