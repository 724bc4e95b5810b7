//! `ledger-projector`: a SpacetimeDB 1.2 module that projects an authority's event journal
//! into tables, written as a *user's own* pipeline would be. It follows the projection sync
//! contract's behaviour (`CONTRACT.md` §3-§4) but in its own vocabulary:
//!
//! * events arrive through `ingest(key, stream, kind, body, digest, committed_ms, offset,
//!   durable, expected_next)` instead of `apply_event`;
//! * the idempotency key is `{stream}/{offset}/{kind}`, the digest is bare hex (no `sha256:`);
//! * errors are worded `forbidden: ...`, `rejected: bad <field>`, `conflict: ...`, `gap: ...`;
//! * tables are `ledger_event`, `ledger_head`, `reader_cursor`, `run_rollup`, `worker_state`,
//!   and `ledger_event.applied_at` holds the time of application (a volatile column);
//! * there is no compaction and no resume reducer: clients work out stale cursors themselves.
//!
//! Source map:
//!
//! | file          | what it owns                                                  |
//! |---------------|---------------------------------------------------------------|
//! | `schema`      | every table                                                   |
//! | `owner`       | the publisher identity, recorded at init, and its check       |
//! | `refusal`     | the exact text of every error a reducer returns               |
//! | `topics`      | topic validity and the topic <-> stream id mapping            |
//! | `digest`      | canonical JSON, RFC 3339 `published_at`, the SHA-256 digest   |
//! | `facts`       | the kinds each stream family accepts and their body fields    |
//! | `admission`   | the ordered field checks of `ingest`                          |
//! | `rollups`     | folding a fact into `run_rollup` / `worker_state`             |
//! | `ingest`      | the `ingest` reducer                                          |
//! | `cursors`     | the `ack_cursor` reducer                                      |
//!
//! This crate is an example target for the conformance harness and deliberately carries
//! three defects (see `examples/foreign/README.md`, "Planted defects"); each is marked in
//! the source with a `PLANTED DEFECT` comment.

mod admission;
mod cursors;
mod digest;
mod facts;
mod ingest;
mod owner;
mod refusal;
mod rollups;
mod schema;
mod topics;
