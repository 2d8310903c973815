"""The one error the command reports: one line on stderr, then a non-zero exit."""

from __future__ import annotations


class CliError(Exception):
    """Bad input or an unreachable server; ``str()`` is the whole message, one line."""

    exit_code = 1
