"""Shared fixtures: the real local stack (devstack) for integration tests."""

pytest_plugins = ["tests.support.stack_fixtures"]
