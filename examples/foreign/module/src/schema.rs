//! The module's tables. Everything but the publisher record is public, so that clients can
//! subscribe to the ledger and the rollups and read heads and cursors with SQL.
//!
//! Integer widths follow what they count: offsets and counters are u64 (an offset is the
//! authority's seq, a u64), `committed_ms` is i64 because that is how this pipeline's
//! authority hands out commit times.

use spacetimedb::{Identity, Timestamp};

/// Who published the database. One row, written by `init`; not public, since nobody but
/// the module needs it.
#[spacetimedb::table(name = projector_owner)]
pub struct ProjectorOwner {
    #[primary_key]
    pub slot: u8,
    pub identity: Identity,
}

/// The only `projector_owner` slot.
pub const OWNER_SLOT: u8 = 0;

/// One row per ingested event.
#[spacetimedb::table(name = ledger_event, public)]
pub struct LedgerEvent {
    /// `{stream}/{offset}/{kind}`.
    #[primary_key]
    pub key: String,
    pub stream: String,
    pub offset: u64,
    pub kind: String,
    /// The event body exactly as the projector sent it.
    pub body: String,
    /// Lowercase hex SHA-256, no prefix.
    pub digest: String,
    pub committed_ms: i64,
    /// When this module stored the row (the reducer's clock). Operators use it to see
    /// ingestion lag; it is the one column that differs between two identical replays.
    pub applied_at: Timestamp,
}

/// Per stream: the newest offset stored and the oldest one still held. There is no
/// compaction, so `floor` is 1 for every stream that has a row.
#[spacetimedb::table(name = ledger_head, public)]
pub struct LedgerHead {
    #[primary_key]
    pub stream: String,
    pub head: u64,
    pub floor: u64,
}

/// How far each reader has consumed each stream.
#[spacetimedb::table(name = reader_cursor, public)]
pub struct ReaderCursor {
    /// `<reader>:<stream>`.
    #[primary_key]
    pub cursor_id: String,
    /// The reader's identity as 64 lowercase hex digits.
    pub reader: String,
    pub stream: String,
    pub position: u64,
}

/// One row per run (`run:<run>:events`).
#[spacetimedb::table(name = run_rollup, public)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRollup {
    #[primary_key]
    pub run: String,
    pub owner: String,
    /// `created`, `running`, `completed` or `cancelled`.
    pub state: String,
    pub step_count: u64,
    pub tokens: u64,
    /// `success` or `failure` once completed, else empty.
    pub result: String,
    /// Events that arrived but could not change the run.
    pub ignored: u64,
    pub last_offset: u64,
}

/// One row per worker (`worker:<worker>:lifecycle`).
#[spacetimedb::table(name = worker_state, public)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerState {
    #[primary_key]
    pub worker: String,
    /// `online` or `offline`.
    pub state: String,
    pub zone: String,
    pub session_count: u64,
    pub beats: u64,
    pub ignored: u64,
    pub last_offset: u64,
}
