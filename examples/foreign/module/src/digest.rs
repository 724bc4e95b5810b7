//! The event digest: lowercase hex SHA-256 (no prefix) of the canonical JSON of
//!
//! ```text
//! {"kind":..,"payload":..,"published_at":..,"seq":..,"topic":..}
//! ```
//!
//! where `topic` is the topic (not the stream id), `seq` the offset, `payload` the body and
//! `published_at` the commit time as RFC 3339 UTC with milliseconds, e.g.
//! `2023-11-14T22:13:20.123Z`. The authority computes the same digest, so the module can
//! tell a faithful copy of an event from a damaged or forged one.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// 9999-12-31T23:59:59.999Z: the last instant a four-digit RFC 3339 year can write.
const LAST_WRITABLE_MS: i64 = 253_402_300_799_999;
const MS_PER_DAY: i64 = 86_400_000;
/// Days in any 400 consecutive Gregorian years (97 of them leap years).
const DAYS_PER_400_YEARS: i64 = 146_097;

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// (year, month, day) of the day `days` after 1970-01-01 (`days` >= 0): whole 400-year
/// cycles first, then year by year and month by month through what is left.
fn calendar_date(days: i64) -> (i64, i64, i64) {
    let mut year = 1970 + 400 * (days / DAYS_PER_400_YEARS);
    let mut rest = days % DAYS_PER_400_YEARS;
    loop {
        let length = if is_leap(year) { 366 } else { 365 };
        if rest < length {
            break;
        }
        rest -= length;
        year += 1;
    }
    let february = if is_leap(year) { 29 } else { 28 };
    let month_lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for length in month_lengths {
        if rest < length {
            break;
        }
        rest -= length;
        month += 1;
    }
    (year, month, rest + 1)
}

/// `committed_ms` (milliseconds since the Unix epoch) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
/// `None` before the epoch or after year 9999: the authority never commits such a time,
/// and an event claiming one cannot have a matching digest.
pub fn rfc3339_millis(committed_ms: i64) -> Option<String> {
    if !(0..=LAST_WRITABLE_MS).contains(&committed_ms) {
        return None;
    }
    let (year, month, day) = calendar_date(committed_ms / MS_PER_DAY);
    let in_day = committed_ms % MS_PER_DAY;
    let (hour, minute, second, millis) =
        (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1_000 % 60, in_day % 1_000);
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"))
}

/// Canonical JSON of a parsed value: sorted keys, no whitespace, UTF-8 as is, integers as
/// integers. serde_json (without `preserve_order`) keeps objects in BTreeMaps, so its
/// compact writer already produces exactly this; only `"`, `\` and control characters are
/// escaped. Parsed JSON never holds NaN or infinities.
pub fn canonical(value: &Value) -> String {
    value.to_string()
}

/// The digest of an event, or `None` if its commit time has no RFC 3339 text.
pub fn event_digest(topic: &str, offset: u64, kind: &str, body: &Map<String, Value>, committed_ms: i64) -> Option<String> {
    let mut signed = Map::new();
    signed.insert("kind".into(), kind.into());
    signed.insert("payload".into(), Value::Object(body.clone()));
    signed.insert("published_at".into(), rfc3339_millis(committed_ms)?.into());
    signed.insert("seq".into(), offset.into());
    signed.insert("topic".into(), topic.into());
    Some(hex::encode(Sha256::digest(canonical(&Value::Object(signed)).as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(rfc3339_millis(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(rfc3339_millis(1_700_000_000_123).as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(rfc3339_millis(951_782_400_000).as_deref(), Some("2000-02-29T00:00:00.000Z"));
        assert_eq!(rfc3339_millis(4_107_542_399_999).as_deref(), Some("2100-02-28T23:59:59.999Z"));
        assert_eq!(rfc3339_millis(4_107_542_400_000).as_deref(), Some("2100-03-01T00:00:00.000Z"));
        assert_eq!(rfc3339_millis(LAST_WRITABLE_MS).as_deref(), Some("9999-12-31T23:59:59.999Z"));
        assert_eq!(rfc3339_millis(LAST_WRITABLE_MS + 1), None);
        assert_eq!(rfc3339_millis(-1), None);
    }

    #[test]
    fn canonical_text() {
        let value: Value = serde_json::from_str(r#"{ "b": [1, 2.5, -3], "a": {"é": "\u00e9\n", "A": null} }"#).unwrap();
        assert_eq!(canonical(&value), r#"{"a":{"A":null,"é":"é\n"},"b":[1,2.5,-3]}"#);
    }

    /// `printf '%s' '{"kind":"run.created","payload":{"owner":"alice"},"published_at":"2023-11-14T22:13:20.123Z","seq":1,"topic":"run:r1:events"}' | sha256sum`
    #[test]
    fn known_digest() {
        let body = serde_json::from_str(r#"{"owner":"alice"}"#).unwrap();
        assert_eq!(
            event_digest("run:r1:events", 1, "run.created", &body, 1_700_000_000_123).as_deref(),
            Some("68565b6e78621317cfc20114b5980f48da6bbb5afcc6ffd6844686b8cfcd8f60")
        );
    }
}
