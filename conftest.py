"""Loads the harness's pytest plugin for every test run from this checkout."""

pytest_plugins = ["harness.pytest_plugin"]
