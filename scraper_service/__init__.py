"""CryptoViz scraper: CoinMarketCap listing pages -> schema-v1 quotes -> Kafka."""
