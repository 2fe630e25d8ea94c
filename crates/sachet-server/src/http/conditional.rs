//! Validators of a download (`ETag`, `Last-Modified`) and the conditional
//! request headers that use them (RFC 9110, section 13).

use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// The validators of the current content of a share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// A strong entity tag, quoted, as sent in `ETag`.
    pub etag: String,
    /// When the content was completed, to the second.
    pub last_modified: SystemTime,
    /// Whether `last_modified` names this content alone, so that dates can
    /// validate it. The store gives each content of a share its own second,
    /// which may lie a little in the future after quick replacements; until
    /// that second has passed, dates prove nothing.
    dates_valid: bool,
}

impl Validators {
    /// Validators for content stored under `blob_key` since `completed`,
    /// as seen at `now`. A blob key names one immutable content, so it makes
    /// a strong tag.
    pub fn new(blob_key: &str, completed: DateTime<Utc>, now: DateTime<Utc>) -> Validators {
        let tag = blob_key.rsplit('/').next().unwrap_or(blob_key);
        let dates_valid = completed <= now;
        let shown = if dates_valid { completed } else { now };
        let seconds = shown.timestamp().max(0) as u64;
        Validators {
            etag: format!("\"{tag}\""),
            last_modified: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds),
            dates_valid,
        }
    }

    /// `Last-Modified` as an HTTP date.
    pub fn last_modified_header(&self) -> String {
        httpdate::fmt_http_date(self.last_modified)
    }

    /// Whether `If-None-Match` matches, with the weak comparison.
    pub fn matches_none_match(&self, header: &str) -> bool {
        header.trim() == "*"
            || header
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == self.etag)
    }

    /// Whether the content is unmodified since an `If-Modified-Since` date.
    /// An unparsable date is ignored, as RFC 9110 asks.
    pub fn unmodified_since(&self, header: &str) -> bool {
        self.dates_valid
            && httpdate::parse_http_date(header.trim())
                .is_ok_and(|since| self.last_modified <= since)
    }

    /// Whether an `If-Range` validator still names this content: a strong
    /// tag equal to ours, or exactly our `Last-Modified` date.
    pub fn if_range_holds(&self, header: &str) -> bool {
        let header = header.trim();
        if header.starts_with('"') {
            return header == self.etag;
        }
        if header.starts_with("W/") {
            return false;
        }
        self.dates_valid
            && httpdate::parse_http_date(header).is_ok_and(|date| date == self.last_modified)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn validators() -> Validators {
        let completed = Utc.with_ymd_and_hms(2026, 5, 20, 23, 5, 31).unwrap();
        Validators::new(
            "content/0f7e2c54-7cd3-4b5c-9c0a-1d2e3f405162",
            completed,
            Utc::now(),
        )
    }

    #[test]
    fn tags_come_from_the_blob_key() {
        assert_eq!(
            validators().etag,
            "\"0f7e2c54-7cd3-4b5c-9c0a-1d2e3f405162\""
        );
        assert_eq!(
            validators().last_modified_header(),
            "Wed, 20 May 2026 23:05:31 GMT"
        );
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let v = validators();
        assert!(v.matches_none_match(&v.etag));
        assert!(v.matches_none_match(&format!("\"other\", W/{}", v.etag)));
        assert!(v.matches_none_match("*"));
        assert!(!v.matches_none_match("\"other\""));
    }

    #[test]
    fn if_modified_since_compares_seconds() {
        let v = validators();
        assert!(v.unmodified_since("Wed, 20 May 2026 23:05:31 GMT"));
        assert!(v.unmodified_since("Thu, 21 May 2026 00:00:00 GMT"));
        assert!(!v.unmodified_since("Wed, 20 May 2026 23:05:30 GMT"));
        assert!(!v.unmodified_since("yesterday"));
    }

    #[test]
    fn if_range_needs_a_strong_match() {
        let v = validators();
        assert!(v.if_range_holds(&v.etag));
        assert!(!v.if_range_holds(&format!("W/{}", v.etag)));
        assert!(!v.if_range_holds("\"stale\""));
        assert!(v.if_range_holds("Wed, 20 May 2026 23:05:31 GMT"));
        assert!(!v.if_range_holds("Wed, 20 May 2026 23:05:32 GMT"));
    }

    #[test]
    fn dates_of_content_from_the_future_validate_nothing() {
        let now = Utc.with_ymd_and_hms(2026, 5, 20, 23, 5, 31).unwrap();
        let v = Validators::new("content/x", now + chrono::Duration::seconds(2), now);
        assert_eq!(v.last_modified_header(), "Wed, 20 May 2026 23:05:31 GMT");
        assert!(!v.unmodified_since("Wed, 20 May 2026 23:05:33 GMT"));
        assert!(!v.if_range_holds("Wed, 20 May 2026 23:05:31 GMT"));
        assert!(v.if_range_holds("\"x\""));
    }
}
