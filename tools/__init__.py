"""Developer tools that never ship in an image: start with `tools.replay` (page generator)."""
