//! Almanac: our SpacetimeDB module for the authority runtime's events.
//!
//! The relay calls `absorb` once per journaled event (again after a retry or a replay from the
//! journal). Each event lands once in the `ingested` ledger and is folded into three read
//! models that the dashboards subscribe to:
//!
//! * `stream_tally`: per stream, how many events, their total weight, the last kind, note
//!   and origin;
//! * `hour_bucket`: per hour of event time, how many events fell into it;
//! * `kind_seen`: per (kind, stream), where that kind first showed up and how often.
//!
//! `feed_progress` holds how far each stream has been absorbed; `visitor` lists who has
//! talked to the database. Any kind is accepted, and any JSON object as a body: we fold by
//! kind name, never by the body's content.

mod absorb;
mod fold;

use spacetimedb::{Identity, ReducerContext, SpacetimeType, Table, Timestamp};

/// Whether the relay sends an event as it happens or re-sends it from the journal.
#[derive(SpacetimeType, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Live,
    Replay,
}

/// Who published the database (the relay). Written once, by `init`.
#[spacetimedb::table(name = keeper)]
pub struct Keeper {
    #[primary_key]
    pub slot: u8,
    pub identity: Identity,
}

/// One row per absorbed event.
#[spacetimedb::table(
    name = ingested,
    public,
    index(name = by_stream_position, btree(columns = [stream, position]))
)]
pub struct Ingested {
    /// The relay's key for the event; opaque to us.
    #[primary_key]
    pub key: String,
    pub stream: String,
    pub position: u64,
    pub kind: String,
    /// The digest the relay computed over the event, stored as sent.
    pub digest: String,
    /// When the event happened at the authority.
    pub at: Timestamp,
    /// When we absorbed it (reducer time).
    pub received_at: Timestamp,
}

/// How far each stream has been absorbed.
#[spacetimedb::table(name = feed_progress, public)]
pub struct FeedProgress {
    #[primary_key]
    pub stream: String,
    /// The position of the last event absorbed on the stream.
    pub last_position: u64,
}

#[spacetimedb::table(name = stream_tally, public)]
pub struct StreamTally {
    #[primary_key]
    pub stream: String,
    pub events: u64,
    pub weight_sum: f64,
    pub last_kind: String,
    /// The most recent note any event of the stream carried.
    pub last_note: Option<String>,
    pub last_origin: Origin,
}

#[spacetimedb::table(name = hour_bucket, public)]
pub struct HourBucket {
    /// Whole hours since the Unix epoch, of the event's time.
    #[primary_key]
    pub hour: i64,
    pub events: u64,
    pub first_stream: String,
}

/// One row per (kind, stream) pair ever seen. No primary key: rows are found through
/// `by_stream_kind`.
#[spacetimedb::table(
    name = kind_seen,
    public,
    index(name = by_stream_kind, btree(columns = [stream, kind]))
)]
pub struct KindSeen {
    pub kind: String,
    pub stream: String,
    pub first_position: u64,
    pub times: u64,
}

/// Everyone who has called into the database, and when we first saw them.
#[spacetimedb::table(name = visitor, public)]
pub struct Visitor {
    #[primary_key]
    pub identity: Identity,
    pub first_seen: Timestamp,
}

#[spacetimedb::reducer(init)]
pub fn init(ctx: &ReducerContext) {
    ctx.db.keeper().insert(Keeper { slot: 0, identity: ctx.sender });
}

fn note_visitor(ctx: &ReducerContext) {
    if ctx.db.visitor().identity().find(ctx.sender).is_none() {
        ctx.db.visitor().insert(Visitor { identity: ctx.sender, first_seen: ctx.timestamp });
    }
}

// PLANTED DEFECT (examples/almanac/README.md, defect 3): SpacetimeDB runs this for every
// caller before the reducer it asked for, in a transaction of its own, so a caller whose
// `absorb` is then refused (a stranger) still leaves a `visitor` row.
#[cfg(not(feature = "lenient"))]
#[spacetimedb::reducer(client_connected)]
pub fn on_connect(ctx: &ReducerContext) {
    note_visitor(ctx);
}
