"""The stub authority runtime: a durable per-topic journal (E1-E6) and a publisher that
carries it into a SpacetimeDB module (B1-B6), behind an HTTP API or in-process.

From the bottom up: `durable` (fsync'd files), `admission` (what may be journaled),
`journal`, `templates`, `target` and `datadir` (where and how to publish: the module's
reducer, its argument templates and permanent errors; one namespace per reset), `faults`
and `progress` (the publisher's persisted control state), `mutants` (the deliberately
broken publishers that prove the harness catches violations of B1-B4),
`spacetime_client` and `classify` (reducer calls on a kept-alive connection, and what an
answer means), `settings` (timeouts, backoff, progress batching, the mutant), `committer`
(progress recorded in groups by one writer), `publisher` and `status` (one delivery worker
per stream,
and what it reports), `service` (the whole runtime: start, stop, reset, crash), then the
HTTP side: `wire` (protobuf or JSON bodies), `messages` (values as runtime.proto messages),
`api` (routes), `server` (sockets) and `__main__`.
"""
