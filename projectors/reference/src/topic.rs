//! Which strings are valid topics (CONTRACT E1).

/// The longest valid topic, counted in Unicode scalar values (Rust `char`s), not bytes.
pub const MAX_TOPIC_CHARS: usize = 256;

/// A topic is 1 to 256 characters long and holds no whitespace or control character.
pub fn is_valid_topic(topic: &str) -> bool {
    let length = topic.chars().count();
    (1..=MAX_TOPIC_CHARS).contains(&length) && !topic.chars().any(is_forbidden_char)
}

fn is_forbidden_char(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_chars() {
        assert!(!is_valid_topic(""));
        assert!(is_valid_topic(&"é".repeat(256)));
        assert!(!is_valid_topic(&"a".repeat(257)));
    }

    #[test]
    fn whitespace_and_controls_are_rejected() {
        for bad in ["a b", "a\tb", "a\u{7f}", "a\u{a0}b", "a\u{2028}", "\u{0}"] {
            assert!(!is_valid_topic(bad), "{bad:?}");
        }
        assert!(is_valid_topic("run:r1:events"));
    }
}
