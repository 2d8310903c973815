"""Replay source: realistic listing pages generated offline and served with lazy rendering."""
