"""Hypothesis strategies: journals, deliveries and scenarios to run against a target."""
