"""Test support shared by the integration and chaos suites."""
