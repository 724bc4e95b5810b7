//! The read models: how one new event changes `stream_tally`, `hour_bucket` and `kind_seen`.

use spacetimedb::{ReducerContext, Table, Timestamp};

use crate::{hour_bucket, kind_seen, stream_tally, HourBucket, KindSeen, Origin, StreamTally};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// The hour of `at`, in whole hours since the Unix epoch (earlier times are negative).
pub fn hour_of(at: Timestamp) -> i64 {
    at.to_micros_since_unix_epoch().div_euclid(MICROS_PER_HOUR)
}

fn blank_tally(stream: &str) -> StreamTally {
    StreamTally {
        stream: stream.to_string(),
        events: 0,
        weight_sum: 0.0,
        last_kind: String::new(),
        last_note: None,
        last_origin: Origin::Live,
    }
}

/// One more event on `stream` in `stream_tally.events`.
pub fn count_event(ctx: &ReducerContext, stream: &str) {
    let tallies = ctx.db.stream_tally();
    match tallies.stream().find(stream.to_string()) {
        Some(mut tally) => {
            tally.events += 1;
            tallies.stream().update(tally);
        }
        None => {
            let mut tally = blank_tally(stream);
            tally.events = 1;
            tallies.insert(tally);
        }
    }
}

/// Everything else a new event changes.
#[allow(clippy::too_many_arguments)]
pub fn fold(ctx: &ReducerContext, stream: &str, position: u64, kind: &str, at: Timestamp,
            origin: Origin, weight: f64, note: Option<String>) {
    let tallies = ctx.db.stream_tally();
    let existing = tallies.stream().find(stream.to_string());
    let is_new = existing.is_none();
    let mut tally = existing.unwrap_or_else(|| blank_tally(stream));
    tally.weight_sum += weight;
    tally.last_kind = kind.to_string();
    if note.is_some() {
        tally.last_note = note;
    }
    tally.last_origin = origin;
    if is_new {
        tallies.insert(tally);
    } else {
        tallies.stream().update(tally);
    }

    let hour = hour_of(at);
    let buckets = ctx.db.hour_bucket();
    match buckets.hour().find(hour) {
        Some(mut bucket) => {
            bucket.events += 1;
            if cfg!(feature = "lenient") && stream < bucket.first_stream.as_str() {
                bucket.first_stream = stream.to_string();
            }
            buckets.hour().update(bucket);
        }
        // PLANTED DEFECT (examples/almanac/README.md, defect 2): outside the lenient build,
        // `first_stream` is whichever stream's event reached the hour first, which depends on
        // how the streams were interleaved, not on the events alone. The lenient build keeps
        // the least stream name, which does not.
        None => {
            buckets.insert(HourBucket { hour, events: 1, first_stream: stream.to_string() });
        }
    }

    let kinds = ctx.db.kind_seen();
    let seen = kinds.by_stream_kind().filter((stream, kind)).next();
    match seen {
        Some(row) => {
            let times = row.times + 1;
            let first_position = row.first_position;
            kinds.delete(row);
            kinds.insert(KindSeen {
                kind: kind.to_string(),
                stream: stream.to_string(),
                first_position,
                times,
            });
        }
        None => {
            kinds.insert(KindSeen {
                kind: kind.to_string(),
                stream: stream.to_string(),
                first_position: position,
                times: 1,
            });
        }
    }
}
