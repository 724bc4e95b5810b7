"""Drivers: clients that talk to servers and record what they answered, judging nothing."""
