//! Blob keys: names the server generates, never derived from client input.

use std::fmt;

use crate::BlobError;

/// The key of a blob, such as `content/6f1c…`. Keys are made of lowercase
/// ASCII letters, digits, `-` and `/`-separated segments, so that every
/// backend can use them as paths.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// A fresh key for the bytes of one chunk.
    pub fn new_chunk() -> BlobKey {
        BlobKey(format!("chunks/{}", uuid::Uuid::new_v4()))
    }

    /// A fresh key for the content of a share.
    pub fn new_content() -> BlobKey {
        BlobKey(format!("content/{}", uuid::Uuid::new_v4()))
    }

    /// Checks a key read back from the database.
    pub fn parse(value: &str) -> Result<BlobKey, BlobError> {
        let valid_segment = |segment: &str| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if value.len() <= 200 && value.split('/').all(valid_segment) {
            Ok(BlobKey(value.to_owned()))
        } else {
            Err(BlobError::InvalidKey(value.to_owned()))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back() {
        for key in [BlobKey::new_chunk(), BlobKey::new_content()] {
            assert_eq!(BlobKey::parse(key.as_str()).unwrap(), key);
        }
    }

    #[test]
    fn keys_cannot_escape_their_folder() {
        for bad in [
            "",
            "../etc/passwd",
            "content/../x",
            "/abs",
            "content//x",
            "A",
            "c/x.y",
        ] {
            assert!(BlobKey::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
