//! Row keys built from other values.

use spacetimedb::Identity;

/// The idempotency key of the event `(topic, seq)`: `topic:<topic>:seq:<seq>` (CONTRACT E6).
pub fn idempotency_key(topic: &str, seq: u64) -> String {
    format!("topic:{topic}:seq:{seq}")
}

/// The `stream_checkpoint` key: `<client identity hex>:<stream_id>`, so each client has its
/// own checkpoint per stream (CONTRACT M6). The hex is the 64 lower-case digits of
/// `Identity::to_hex`, without `0x`.
pub fn checkpoint_key(client: &Identity, stream_id: &str) -> String {
    format!("{}:{stream_id}", client.to_hex().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_key_format() {
        assert_eq!(idempotency_key("run:r1:events", 7), "topic:run:r1:events:seq:7");
    }
}
