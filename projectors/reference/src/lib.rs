//! Reference SpacetimeDB 1.2 module for the projection sync contract
//! (`docs/CONTRACT.md` at the repository root, sections 1-6).
//!
//! The publisher calls `apply_event` once per journaled event; the module checks it, stores
//! it in `sync_event`, advances `stream_head` and folds it into the projection tables.
//! Clients call `resume_stream` before subscribing and `ack_checkpoint` to record progress.
//!
//! Each contract rule lives in exactly one module, so a deliberately broken variant of a
//! rule (a "mutant") only has to touch one obvious place:
//!
//! | module        | job                                                          | rules      |
//! |---------------|--------------------------------------------------------------|------------|
//! | `tables`      | table definitions                                            | M, P       |
//! | `errors`      | the text of every error a reducer returns                    | M1, M6, R3 |
//! | `topic`       | which strings are valid topics                               | E1         |
//! | `streams`     | topic <-> stream id mapping, stream families                 | S1, S2     |
//! | `time`        | `published_at` as RFC 3339 text                              | E1, E5     |
//! | `canonical`   | canonical JSON and the payload hash                          | E4, E5     |
//! | `keys`        | idempotency keys and checkpoint keys                         | E6, M6     |
//! | `events`      | which kinds a stream accepts and what their payloads hold    | P1-P4      |
//! | `validate`    | the ordered field checks of `apply_event`                    | M1.2       |
//! | `publisher`   | the publisher identity recorded at init, and the auth check  | M1.1, M4   |
//! | `heads`       | reading and writing `stream_head`                            | M1, M3, M4 |
//! | `projections` | folding an event into `run_summary` / `worker_status`        | P1-P3, M5  |
//! | `apply`       | the `apply_event` reducer                                    | M1, M2     |
//! | `compact`     | the `compact_stream` reducer                                 | M4         |
//! | `resume`      | the `resume_stream` reducer                                  | R1, R3     |
//! | `checkpoint`  | the `ack_checkpoint` reducer                                 | M6         |
//!
//! Determinism (M5): nothing here reads `ctx.timestamp`, `ctx.rng()`, the caller's
//! connection or the iteration order of a table into a row.

mod apply;
mod canonical;
mod checkpoint;
mod compact;
mod errors;
mod events;
mod heads;
mod keys;
mod projections;
mod publisher;
mod resume;
mod streams;
mod tables;
mod time;
mod topic;
mod validate;
