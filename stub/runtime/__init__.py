"""The stub authority runtime: a durable per-topic journal (E1-E6) and a publisher that
carries it into a SpacetimeDB module (B1-B6), behind an HTTP API or in-process.

Layout, from the bottom up: `durable` (fsync'd files), `admission` (what may be journaled),
`journal`, `datadir` (namespaces and the target), `progress` and `faults` (the publisher's
persisted control state), `spacetime_client` and `classify` (one reducer call and what its
answer means), `publisher` (one delivery worker per stream), `service` (the whole runtime,
start/stop/reset), then `wire`, `messages`, `api`, `server` and `__main__` for the HTTP side.
"""
