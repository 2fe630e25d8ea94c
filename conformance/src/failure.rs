//! What a scenario reports when it does not pass: a failure with the request
//! that showed it, or a skip with its reason.

use std::fmt;

/// How many characters of a response body a failure quotes.
pub const EXCERPT_CHARS: usize = 300;

/// A departure from the contract, with the evidence a reader needs to
/// reproduce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The request that showed the departure, as `METHOD /path as caller ...`.
    pub request: Option<String>,
    /// What the contract asks for.
    pub expected: String,
    /// What the server did, such as `status 500`.
    pub actual: Option<String>,
    /// The start of the response body.
    pub body: Option<String>,
    /// Anything longer a reader needs, such as a replayable request list.
    pub detail: Option<String>,
}

impl Failure {
    /// A failure that is not tied to one response (for example a transport
    /// error or a check across several answers).
    pub fn new(expected: impl Into<String>) -> Failure {
        Failure {
            request: None,
            expected: expected.into(),
            actual: None,
            body: None,
            detail: None,
        }
    }

    pub fn with_request(mut self, request: impl Into<String>) -> Failure {
        self.request = Some(request.into());
        self
    }

    pub fn with_actual(mut self, actual: impl Into<String>) -> Failure {
        self.actual = Some(actual.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Failure {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(request) = &self.request {
            writeln!(f, "request:  {request}")?;
        }
        write!(f, "expected: {}", self.expected)?;
        if let Some(actual) = &self.actual {
            write!(f, "\nactual:   {actual}")?;
        }
        if let Some(body) = &self.body {
            write!(f, "\nbody:     {body}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\ndetail:")?;
            for line in detail.lines() {
                write!(f, "\n  {line}")?;
            }
        }
        Ok(())
    }
}

/// Why a scenario stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    Fail(Box<Failure>),
    Skip(String),
}

impl From<Failure> for Stop {
    fn from(failure: Failure) -> Stop {
        Stop::Fail(Box::new(failure))
    }
}

/// What a scenario function returns.
pub type Outcome = Result<(), Stop>;

/// Ends a scenario as skipped.
pub fn skip(reason: impl Into<String>) -> Stop {
    Stop::Skip(reason.into())
}

/// Fails with `expected` when `condition` does not hold.
pub fn ensure(condition: bool, expected: impl FnOnce() -> Failure) -> Result<(), Failure> {
    if condition { Ok(()) } else { Err(expected()) }
}

/// The first `max` characters of a body, readable on one line: invalid UTF-8
/// is replaced and control characters are escaped.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_bodies_and_marks_the_cut() {
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(b"abc", 3), "abc");
    }

    #[test]
    fn excerpt_escapes_line_breaks_so_a_failure_stays_readable() {
        assert_eq!(excerpt(b"a\r\nb", 10), "a\\r\\nb");
    }

    #[test]
    fn excerpt_survives_binary_bodies() {
        assert_eq!(excerpt(&[0xff, b'a'], 10), "\u{fffd}a");
    }

    #[test]
    fn display_lists_request_expected_actual_and_body() {
        let mut failure = Failure::new("status 201")
            .with_request("POST /files as u1")
            .with_actual("status 500");
        failure.body = Some("boom".into());
        let text = failure.to_string();
        assert_eq!(
            text,
            "request:  POST /files as u1\nexpected: status 201\nactual:   status 500\nbody:     boom"
        );
    }
}
