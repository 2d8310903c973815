"""Helpers for tests that edit listing pages: the rows of the listing table."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def listing_rows(soup: BeautifulSoup) -> list[Tag]:
    """The ``tbody > tr`` rows of the page's ``cmc-table``."""
    table = soup.find("table", class_=lambda c: bool(c) and "cmc-table" in c)
    assert isinstance(table, Tag)
    body = table.find("tbody")
    assert isinstance(body, Tag)
    return body.find_all("tr", recursive=False)
