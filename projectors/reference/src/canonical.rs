//! Canonical JSON (CONTRACT E4) and the payload hash (CONTRACT E5).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::time::format_published_at;

/// Canonical JSON: keys sorted, `,` and `:` with no spaces, UTF-8 without ASCII escaping,
/// integers as integers.
///
/// `serde_json` writes exactly that for a `Value`, because this crate does not enable its
/// `preserve_order` feature: objects are `BTreeMap`s, iterated in key order (byte order of
/// UTF-8, which is code point order). The compact writer adds no spaces and escapes only
/// `"`, `\` and control characters below U+0020. NaN and infinities cannot occur: a
/// `Value` parsed from JSON text never holds them.
pub fn canonical_json(value: &Value) -> String {
    #[cfg(not(feature = "mutant-canonical-ascii-escapes"))]
    return value.to_string();
    // MUTANT mutant-canonical-ascii-escapes (breaks E5, M1.2): made "ASCII-safe" for a log
    // pipeline, every non-ASCII character written as \uXXXX (as many JSON writers do by
    // default), so the hash of a payload holding such text is not E5's.
    #[cfg(feature = "mutant-canonical-ascii-escapes")]
    return ascii_escaped(&value.to_string());
}

/// MUTANT mutant-canonical-ascii-escapes: each non-ASCII character as UTF-16 `\uXXXX` escapes.
#[cfg(feature = "mutant-canonical-ascii-escapes")]
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii() {
            out.push(character);
        } else {
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `sha256:` + lowercase hex SHA-256 of the canonical JSON of
/// `{topic, seq, kind, payload, published_at}`; `None` when `published_at_ms` has no
/// RFC 3339 text (past year 9999), so that no hash a publisher sends can match.
pub fn payload_hash(
    topic: &str,
    seq: u64,
    kind: &str,
    payload: &Map<String, Value>,
    published_at_ms: u64,
) -> Option<String> {
    let published_at = format_published_at(published_at_ms)?;
    let mut document = Map::new();
    document.insert("topic".to_string(), Value::from(topic));
    document.insert("seq".to_string(), Value::from(seq));
    document.insert("kind".to_string(), Value::from(kind));
    document.insert("payload".to_string(), Value::Object(payload.clone()));
    document.insert("published_at".to_string(), Value::from(published_at));
    let text = canonical_json(&Value::Object(document));
    Some(format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn canonical_form() {
        let value: Value =
            serde_json::from_str(r#"{ "b": [1, 2.5, -3], "a": {"é": "\u00e9\n", "A": null} }"#).unwrap();
        assert_eq!(canonical_json(&value), r#"{"a":{"A":null,"é":"é\n"},"b":[1,2.5,-3]}"#);
    }

    #[test]
    fn contract_example() {
        // The canonical document of the brief's example is
        // {"kind":"run.created","payload":{"owner":"alice"},"published_at":"2023-11-14T22:13:20.123Z","seq":1,"topic":"run:r1:events"}
        // and `printf '%s' '<that>' | sha256sum` gives the digest below.
        let hash = payload_hash(
            "run:r1:events",
            1,
            "run.created",
            &object(r#"{"owner":"alice"}"#),
            1_700_000_000_123,
        );
        assert_eq!(
            hash.as_deref(),
            Some("sha256:68565b6e78621317cfc20114b5980f48da6bbb5afcc6ffd6844686b8cfcd8f60")
        );
    }

    /// Hashes computed independently by the Python harness (`hash_input` and `sha256_tag`
    /// in `harness.contract`): escapes, non-ASCII keys and text, nested sorting, i64::MIN,
    /// u64::MAX, a float, and the last instant of year 9999.
    #[test]
    fn agrees_with_the_python_harness() {
        let cases = [
            (
                "worker:w-1:lifecycle",
                42,
                "worker.online",
                r#"{"region":"eu-west","meta":{"z":[1,-2,{"b":null,"a":true}],"é":"ünï\u0001\"q\\"}}"#,
                0,
                "sha256:4952f5ed06743c75fbe013f8c504d5f6d15abcc35cce51e8c02b13e3340b8d7b",
            ),
            (
                "fleet:user:u:1:workers",
                u64::MAX,
                "note",
                r#"{"text":"日本語 \u2028 tab\t","n":-9223372036854775808,"big":18446744073709551615}"#,
                253_402_300_799_999,
                "sha256:4774cc68a3501a7db056c7a89160e4f8cf120e337c83ade85505121f539e7846",
            ),
            (
                "a.b%c:d",
                7,
                "note",
                r#"{"text":"","f":1.5}"#,
                951_782_400_000,
                "sha256:4f03e757272bd02052466714a11bf19f8b36a4e819065d7a724901feaf373a29",
            ),
        ];
        for (topic, seq, kind, payload_json, published_at_ms, expected) in cases {
            let hash = payload_hash(topic, seq, kind, &object(payload_json), published_at_ms);
            assert_eq!(hash.as_deref(), Some(expected), "{topic}");
        }
    }
}
