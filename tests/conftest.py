"""Shared fixtures: the real local stack (devstack) for integration tests."""

pytest_plugins = ["devstack.pytest_plugin"]
