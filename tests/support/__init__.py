"""Test support shared by the unit, integration and chaos suites."""
