"""Beacon: another team's event feed (a SpacetimeDB module, `module/`) and its sync-token
gate (`beacon_gate/`), tested by the harness through `feed.toml` and `gate.toml`."""
