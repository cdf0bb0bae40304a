"""Shared test configuration: ``pytester`` runs downstream test files against the plugin."""

pytest_plugins = ["pytester"]
