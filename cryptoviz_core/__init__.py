"""Code shared by every CryptoViz service: the message schema, logging and backoff."""
