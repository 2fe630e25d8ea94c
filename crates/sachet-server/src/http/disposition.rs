//! The `Content-Disposition` header of a download (RFC 6266).

use super::percent;

/// The header value for a download of `file_name`, shown inline.
///
/// Plain names appear verbatim as `filename=<name>`, as clients of the older
/// server expect. Other names are quoted, with an ASCII fallback, and get an
/// RFC 8187 `filename*` parameter carrying the exact UTF-8 name.
pub fn inline(file_name: &str) -> String {
    if is_plain(file_name) {
        return format!("inline; filename={file_name}");
    }
    format!(
        "inline; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(file_name),
        percent::encode(file_name)
    )
}

/// A name that can stand unquoted: printable ASCII without spaces, quotes,
/// `;` or `\`, as the contract words it.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b';' | b'\\'))
}

/// The name with non-ASCII and control characters replaced by `_`, and
/// quotes and backslashes escaped, for the quoted `filename` parameter.
fn ascii_fallback(name: &str) -> String {
    let mut fallback = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                fallback.push('\\');
                fallback.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => fallback.push(c),
            _ => fallback.push('_'),
        }
    }
    fallback
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_names_appear_verbatim() {
        assert_eq!(inline("content.bin"), "inline; filename=content.bin");
        assert_eq!(inline("a,b=c.txt"), "inline; filename=a,b=c.txt");
        let header = inline("content.bin");
        assert!(
            header
                .split("; ")
                .any(|part| part == "filename=content.bin")
        );
    }

    #[test]
    fn other_names_are_quoted_and_encoded() {
        assert_eq!(
            inline("my report.pdf"),
            "inline; filename=\"my report.pdf\"; filename*=UTF-8''my%20report.pdf"
        );
        assert_eq!(
            inline("naïve \"q\".txt"),
            "inline; filename=\"na_ve \\\"q\\\".txt\"; filename*=UTF-8''na%C3%AFve%20%22q%22.txt"
        );
        assert_eq!(
            inline("a;b"),
            "inline; filename=\"a;b\"; filename*=UTF-8''a%3Bb"
        );
    }

    /// The quoted `filename` value ends at its first unescaped quote, and
    /// only the `filename*` parameter may follow it.
    fn quoted_part_is_well_formed(header: &str) -> bool {
        const OPEN: &str = "filename=\"";
        let Some(start) = header.find(OPEN).map(|at| at + OPEN.len()) else {
            return true;
        };
        let mut chars = header[start..].char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => return header[start + at + 1..].starts_with("; filename*=UTF-8''"),
                _ => {}
            }
        }
        false
    }

    proptest! {
        #[test]
        fn no_name_breaks_the_header(name in any::<String>()) {
            let header = inline(&name);
            prop_assert!(!header.contains('\r') && !header.contains('\n'));
            prop_assert!(header.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)));
            prop_assert!(poem::http::HeaderValue::from_str(&header).is_ok());
            prop_assert!(quoted_part_is_well_formed(&header), "{}", header);
        }
    }
}
