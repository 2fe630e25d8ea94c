//! Percent-encoding of URL path segments and RFC 8187 header values.

use std::fmt::Write;

/// Encodes every byte except the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`), so the result fits a path segment or an
/// `ext-value` of a header.
pub fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(encode("report-v1.2_final~.txt"), "report-v1.2_final~.txt");
        assert_eq!(encode("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
