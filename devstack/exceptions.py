"""Devstack failures. Each message names the cause and the fix on one line."""


class DevstackError(RuntimeError):
    """The stack cannot start or stop. The CLI prints the message and exits non-zero."""
