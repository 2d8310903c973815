"""The replay page generator: CoinMarketCap-like listing pages and the messages they must yield.

`markup` renders a page from coin data; `generate` writes the bundled replay pages
(``scraper_service/replay/pages/``, served at run time by `scraper_service.replay.server`)
and the generated fixtures in ``tests/fixtures/cmc/``. Run ``python -m tools.replay.generate``.
"""
