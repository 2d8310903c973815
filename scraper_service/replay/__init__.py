"""Replay source: the bundled listing pages (``pages/``) and the local server that serves them.

The pages are generated offline by `tools.replay.generate`, which is not shipped.
"""
