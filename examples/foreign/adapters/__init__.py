"""Adapters a user of the harness writes for their own system, here for examples/foreign:
`control.admin` sets up principals on the foreign control service, `client.client` drives
the foreign client logic (which computes stale cursors itself) against the foreign module."""
