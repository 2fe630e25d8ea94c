//! What the contract says a single `Range` request must answer, as a pure
//! function of the header and the content size.

/// The answer a faithful server gives to one `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// 206 with these inclusive byte positions.
    Partial { first: u64, last: u64 },
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
    /// Several ranges: `multipart/byteranges` or the whole content (ext).
    Multiple,
}

impl RangeAnswer {
    pub fn status(self) -> &'static [u16] {
        match self {
            RangeAnswer::Partial { .. } => &[206],
            RangeAnswer::Unsatisfiable => &[416],
            RangeAnswer::Multiple => &[200, 206],
        }
    }

    /// The `Content-Range` value the answer must carry, if any.
    pub fn content_range(self, size: u64) -> Option<String> {
        match self {
            RangeAnswer::Partial { first, last } => Some(format!("bytes {first}-{last}/{size}")),
            RangeAnswer::Unsatisfiable => Some(format!("bytes */{size}")),
            RangeAnswer::Multiple => None,
        }
    }
}

/// The expected answer to `Range: <header>` on content of `size` bytes.
/// Malformed ranges, inverted ranges and starts at or past the end are all
/// 416 under the contract; an end past the end is cut to the last byte.
pub fn expected_answer(header: &str, size: u64) -> RangeAnswer {
    let Some(spec) = strip_unit(header) else {
        return RangeAnswer::Unsatisfiable;
    };
    if spec.contains(',') {
        return RangeAnswer::Multiple;
    }
    match spec.split_once('-') {
        Some(("", suffix)) => suffix_answer(suffix, size),
        Some((start, end)) => span_answer(start, end, size),
        None => RangeAnswer::Unsatisfiable,
    }
}

fn strip_unit(header: &str) -> Option<&str> {
    let (unit, spec) = header.trim().split_once('=')?;
    unit.trim()
        .eq_ignore_ascii_case("bytes")
        .then_some(spec.trim())
}

fn suffix_answer(suffix: &str, size: u64) -> RangeAnswer {
    match number(suffix) {
        Some(length) if length > 0 && size > 0 => RangeAnswer::Partial {
            first: size - length.min(size),
            last: size - 1,
        },
        _ => RangeAnswer::Unsatisfiable,
    }
}

fn span_answer(start: &str, end: &str, size: u64) -> RangeAnswer {
    let Some(first) = number(start) else {
        return RangeAnswer::Unsatisfiable;
    };
    let last = if end.is_empty() {
        Some(u64::MAX)
    } else {
        number(end)
    };
    match last {
        Some(last) if first <= last && first < size => RangeAnswer::Partial {
            first,
            last: last.min(size - 1),
        },
        _ => RangeAnswer::Unsatisfiable,
    }
}

fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(first: u64, last: u64) -> RangeAnswer {
        RangeAnswer::Partial { first, last }
    }

    #[test]
    fn range_matrix_follows_the_contract() {
        let size = 100;
        let cases = [
            ("bytes=0-0", partial(0, 0)),
            ("bytes=2-5", partial(2, 5)),
            ("bytes=10-", partial(10, 99)),
            ("bytes=-7", partial(93, 99)),
            ("bytes=-1000", partial(0, 99)),
            ("bytes=50-1000", partial(50, 99)),
            ("bytes=99-99", partial(99, 99)),
            ("BYTES=1-2", partial(1, 2)),
            ("bytes=100-", RangeAnswer::Unsatisfiable),
            ("bytes=100-200", RangeAnswer::Unsatisfiable),
            ("bytes=5-2", RangeAnswer::Unsatisfiable),
            ("bytes=-1-0", RangeAnswer::Unsatisfiable),
            ("bytes=-0", RangeAnswer::Unsatisfiable),
            ("bytes=abc", RangeAnswer::Unsatisfiable),
            ("bytes=1-x", RangeAnswer::Unsatisfiable),
            ("bytes=+1-2", RangeAnswer::Unsatisfiable),
            ("items=1-2", RangeAnswer::Unsatisfiable),
            ("bytes=0-1,5-6", RangeAnswer::Multiple),
        ];
        for (header, expected) in cases {
            assert_eq!(expected_answer(header, size), expected, "{header}");
        }
    }

    #[test]
    fn empty_content_satisfies_no_range() {
        assert_eq!(expected_answer("bytes=0-", 0), RangeAnswer::Unsatisfiable);
        assert_eq!(expected_answer("bytes=-5", 0), RangeAnswer::Unsatisfiable);
    }

    #[test]
    fn content_range_names_the_span_or_only_the_size() {
        assert_eq!(partial(2, 5).content_range(10).unwrap(), "bytes 2-5/10");
        assert_eq!(
            RangeAnswer::Unsatisfiable.content_range(10).unwrap(),
            "bytes */10"
        );
        assert_eq!(RangeAnswer::Multiple.content_range(10), None);
    }
}
