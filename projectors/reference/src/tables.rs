//! Table definitions. All tables are public so that clients can subscribe to them.
//!
//! The `#[spacetimedb::table]` macro turns each struct into a row type and generates an
//! accessor trait named after the table (`ctx.db.sync_event()` needs `use
//! crate::tables::sync_event`).

use spacetimedb::Identity;

/// The identity that published the database, written once by the `init` reducer.
/// There is exactly one row, with `id` = [`PUBLISHER_ROW_ID`].
#[spacetimedb::table(name = module_publisher, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct ModulePublisher {
    #[primary_key]
    pub id: u32,
    pub publisher: Identity,
}

/// The key of the only `module_publisher` row.
pub const PUBLISHER_ROW_ID: u32 = 0;

/// One row per applied event that has not been compacted away (CONTRACT M1, M4).
#[spacetimedb::table(name = sync_event, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct SyncEvent {
    /// `topic:<topic>:seq:<seq>` (CONTRACT E6).
    #[primary_key]
    pub idempotency_key: String,
    /// Indexed so that compaction can find a stream's rows without a full scan.
    #[index(btree)]
    pub stream_id: String,
    pub seq: u64,
    pub kind: String,
    /// The payload exactly as the publisher sent it.
    pub payload_json: String,
    pub payload_hash: String,
    pub published_at_ms: u64,
}

/// Per stream: the last applied seq and the oldest seq still stored.
/// A stream without a row behaves as `head_seq = 0, oldest_seq = 1` (see `heads`).
#[spacetimedb::table(name = stream_head, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct StreamHead {
    #[primary_key]
    pub stream_id: String,
    pub head_seq: u64,
    pub oldest_seq: u64,
}

/// How far each client has applied each stream (CONTRACT M6).
#[spacetimedb::table(name = stream_checkpoint, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct StreamCheckpoint {
    /// `<client identity hex>:<stream_id>`, see `keys::checkpoint_key`.
    #[primary_key]
    pub checkpoint_key: String,
    pub client_identity: Identity,
    pub stream_id: String,
    pub last_applied_seq: u64,
}

/// Projection of `run:<run_id>:events` (CONTRACT P1).
#[spacetimedb::table(name = run_summary, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    #[primary_key]
    pub run_id: String,
    pub owner: String,
    pub status: String,
    pub steps: u64,
    pub tokens_total: u64,
    pub outcome: String,
    pub ignored_events: u64,
    pub last_seq: u64,
}

/// Projection of `worker:<worker_id>:lifecycle` (CONTRACT P2).
#[spacetimedb::table(name = worker_status, public)]
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerStatus {
    #[primary_key]
    pub worker_id: String,
    pub status: String,
    pub region: String,
    pub sessions: u64,
    pub heartbeats: u64,
    pub ignored_events: u64,
    pub last_seq: u64,
}
