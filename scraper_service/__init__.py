"""CryptoViz scraper: CoinMarketCap listing pages -> schema-v1 quotes -> Kafka.

Run it with ``python -m scraper_service``. Start with `service` (the scrape
loop: fetch, parse, publish, back off) and `listing.parse_page` (one page's HTML
to quotes). Parsing is pure: `dom` reads the rendered table, `next_data` the
page JSON, `reconcile` merges them, `numbers` reads figures; docs/coinmarketcap-markup.md
says what they rely on. `browser` (Selenium) and `publisher` (Kafka) are the
I/O; `replay` serves recorded pages for runs without the live site.
"""
