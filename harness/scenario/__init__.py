"""Scenarios: what one example does, as data (curated files, generated examples, IDs)."""
