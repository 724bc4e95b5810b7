//! beacon-feed: the SpacetimeDB side of Beacon's event feed.
//!
//! The authority journals events per topic; our relay calls `record_event` once per event
//! (more than once after a retry) and this module keeps
//!
//! * `event_log`: every recorded event, keyed `<topic>#<position>`, with the body and
//!   checksum exactly as the relay sent them, plus `topic` and `body_bytes` for the ops
//!   dashboards;
//! * `stream_cursor`: per stream, the last position recorded and how many events it holds.
//!
//! There are no read models here: consumers subscribe to `event_log` and fold it themselves,
//! so any kind and any JSON-object body is accepted. Nothing is ever compacted.
//!
//! Streams are named as the authority names them (`runtime.run.<id>.events`, ...);
//! `streams.rs` maps a stream back to its topic so keys can be checked.

mod record;
mod streams;

use spacetimedb::{Identity, ReducerContext, Table};

/// Who published this database: the relay. One row, written once by `init`.
#[spacetimedb::table(name = feed_owner)]
pub struct FeedOwner {
    #[primary_key]
    pub id: u8,
    pub relay: Identity,
}

#[spacetimedb::table(name = event_log, public)]
pub struct EventLog {
    /// `<topic>#<position>`
    #[primary_key]
    pub event_key: String,
    pub stream: String,
    pub position: u64,
    pub topic: String,
    /// The event body, verbatim.
    pub body: String,
    /// UTF-8 length of `body`.
    pub body_bytes: u32,
    /// `sha256:<hex>` as the relay computed it.
    pub checksum: String,
    /// Publish time at the authority, Unix milliseconds.
    pub published_ms: u64,
}

#[spacetimedb::table(name = stream_cursor, public)]
pub struct StreamCursor {
    #[primary_key]
    pub stream: String,
    /// The last position recorded on the stream.
    pub head: u64,
    pub event_count: u64,
}

#[spacetimedb::reducer(init)]
pub fn init(ctx: &ReducerContext) {
    ctx.db.feed_owner().insert(FeedOwner { id: 0, relay: ctx.sender });
}
