"""Drivers of scenarios: perform the steps against real systems and record a History."""
