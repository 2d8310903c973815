"""``python -m cryptoviz``: the same command as the ``cryptoviz`` entry point."""

from __future__ import annotations

import sys

from cryptoviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
