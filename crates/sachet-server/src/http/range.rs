//! The `Range` request header (RFC 9110, section 14.2), for the `bytes` unit.

use std::ops::Range;

/// What a `Range` header asks of a representation of `size` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: send the whole content (no header, another unit, or
    /// several ranges, which this server answers whole).
    Whole,
    /// One satisfiable range, within the content.
    Partial(Range<u64>),
    /// A malformed or unsatisfiable range: 416.
    Unsatisfiable,
}

/// Interprets a `Range` header value for content of `size` bytes.
pub fn parse(header: &str, size: u64) -> RangeRequest {
    let header = header.trim();
    let Some((unit, specs)) = header.split_once('=') else {
        return RangeRequest::Unsatisfiable;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeRequest::Whole;
    }
    let specs: Vec<&str> = specs.split(',').map(str::trim).collect();
    let mut ranges = Vec::with_capacity(specs.len());
    for spec in &specs {
        match parse_spec(spec) {
            Some(spec) => ranges.push(spec),
            None => return RangeRequest::Unsatisfiable,
        }
    }
    let satisfiable: Vec<Range<u64>> = ranges
        .iter()
        .filter_map(|spec| spec.resolve(size))
        .collect();
    match (satisfiable.len(), ranges.len()) {
        (0, _) => RangeRequest::Unsatisfiable,
        (1, 1) => RangeRequest::Partial(satisfiable[0].clone()),
        _ => RangeRequest::Whole,
    }
}

/// The value of `Content-Range` for a partial answer.
pub fn content_range(range: &Range<u64>, size: u64) -> String {
    format!("bytes {}-{}/{}", range.start, range.end - 1, size)
}

/// The value of `Content-Range` for a 416 answer.
pub fn unsatisfied_range(size: u64) -> String {
    format!("bytes */{size}")
}

#[derive(Clone, Copy, Debug)]
enum Spec {
    /// `a-b` or `a-`.
    FromTo(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Suffix(u64),
}

impl Spec {
    fn resolve(self, size: u64) -> Option<Range<u64>> {
        match self {
            Spec::FromTo(start, _) if start >= size => None,
            Spec::FromTo(start, end) => {
                let last = end.map_or(size - 1, |end| end.min(size - 1));
                Some(start..last + 1)
            }
            Spec::Suffix(0) => None,
            Spec::Suffix(_) if size == 0 => None,
            Spec::Suffix(length) => Some(size - length.min(size)..size),
        }
    }
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let (first, last) = spec.split_once('-')?;
    if first.is_empty() {
        return Some(Spec::Suffix(parse_number(last)?));
    }
    let start = parse_number(first)?;
    if last.is_empty() {
        return Some(Spec::FromTo(start, None));
    }
    let end = parse_number(last)?;
    (end >= start).then_some(Spec::FromTo(start, Some(end)))
}

/// Digits as a number; numbers too large for 64 bits saturate, since they
/// lie past the end of any content.
fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(header: &str, size: u64, expected: RangeRequest) {
        assert_eq!(
            parse(header, size),
            expected,
            "Range: {header} on {size} bytes"
        );
    }

    #[test]
    fn the_contract_range_matrix() {
        use RangeRequest::*;
        check("bytes=0-9", 100, Partial(0..10));
        check("bytes=10-", 100, Partial(10..100));
        check("bytes=-10", 100, Partial(90..100));
        check("bytes=90-200", 100, Partial(90..100));
        check("bytes=-200", 100, Partial(0..100));
        check("bytes=99-99", 100, Partial(99..100));
        check("bytes=100-", 100, Unsatisfiable);
        check("bytes=150-160", 100, Unsatisfiable);
        check("bytes=5-4", 100, Unsatisfiable);
        check("bytes=-1-0", 100, Unsatisfiable);
        check("bytes=-0", 100, Unsatisfiable);
        check("bytes=", 100, Unsatisfiable);
        check("bytes=a-b", 100, Unsatisfiable);
        check("bytes=+1-2", 100, Unsatisfiable);
        check("garbage", 100, Unsatisfiable);
        check("items=0-1", 100, Whole);
        check("BYTES=0-0", 100, Partial(0..1));
        check("bytes=0-1,5-6", 100, Whole);
        check("bytes=0-1,500-600", 100, Whole);
        check("bytes=0-", 0, Unsatisfiable);
        check("bytes=-5", 0, Unsatisfiable);
        check("bytes=0-18446744073709551615", 10, Partial(0..10));
        check("bytes=0-99999999999999999999999", 10, Partial(0..10));
        check("bytes=0-18446744073709551616", 10, Partial(0..10));
        check("bytes=-18446744073709551616", 10, Partial(0..10));
        check("bytes=99999999999999999999999-", 10, Unsatisfiable);
    }

    #[test]
    fn content_range_values() {
        assert_eq!(content_range(&(0..10), 100), "bytes 0-9/100");
        assert_eq!(unsatisfied_range(100), "bytes */100");
    }

    proptest! {
        #[test]
        fn any_header_parses_or_is_refused_and_ranges_stay_inside(
            header in ".{0,40}",
            size in 0u64..1_000_000,
        ) {
            if let RangeRequest::Partial(range) = parse(&header, size) {
                prop_assert!(range.start < range.end);
                prop_assert!(range.end <= size);
            }
        }

        #[test]
        fn well_formed_ranges_stay_inside(
            start in 0u64..2_000,
            length in 0u64..2_000,
            size in 0u64..1_500,
            form in 0u8..3,
        ) {
            let header = match form {
                0 => format!("bytes={}-{}", start, start + length),
                1 => format!("bytes={start}-"),
                _ => format!("bytes=-{length}"),
            };
            match parse(&header, size) {
                RangeRequest::Partial(range) => {
                    prop_assert!(range.start < range.end && range.end <= size);
                    if form != 2 {
                        prop_assert_eq!(range.start, start);
                    }
                }
                RangeRequest::Unsatisfiable => {
                    prop_assert!(size == 0 || (form != 2 && start >= size) || (form == 2 && length == 0));
                }
                RangeRequest::Whole => prop_assert!(false, "a single bytes range is never whole"),
            }
        }
    }
}
