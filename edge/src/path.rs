//! Raw-URI canonicality: the gate refuses what it would otherwise have to guess at.
//!
//! Lambda@Edge sees the raw URI (CloudFront normalises only to pick the cache behavior) and S3
//! keys are literal, so `/releases/../secret`, `%2e%2e`, `%2f`, backslashes, `//` and control
//! characters are refused (400) before any route or credential logic (security catalogue
//! PATH-01..06; CVE-2019-9901, CVE-2021-31920 classes). Accepted paths are exactly RFC 3986
//! `path-absolute` characters with these extra rules:
//!
//! - only `A-Za-z0-9-._~!$&'()*+,;=:@/` and `%XX` (two hex digits);
//! - no empty segment except one trailing `/` (so no `//`), no `.` or `..` segment;
//! - a `%XX` escape must not encode `.`, `/`, `\`, a control character, or any other
//!   unreserved character (`A-Za-z0-9-_~`): those have a plain spelling, and two spellings of
//!   one S3 key would let a path dodge a route prefix;
//! - no double encoding of those: `%25XX` where `%XX` would be refused by the rule above
//!   (`%252e`, `%252F`, catalogue PATH-03), so a second decoder finds no traversal either;
//! - the percent-decoded path is valid UTF-8 (S3 keys are UTF-8): no overlong forms
//!   (`%c0%ae`), surrogates (`%ed%a0%80`) or stray bytes (`%ff`) (catalogue PATH-06).
//!
//! So a canonical path's route prefix (over unreserved characters) means the same thing before
//! and after S3 decodes it.

/// Why a path is not canonical (for logs and `edgegate explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Does not start with `/`.
    NotAbsolute,
    /// A character outside the allowed set (space, `\`, `"`, controls, non-ASCII, ...).
    BadCharacter,
    /// A malformed `%` escape.
    BadEscape,
    /// A `%XX` escape of `.`, `/`, `\`, a control or another unreserved character.
    EncodedReserved,
    /// `%25XX` where `%XX` would be [`PathError::EncodedReserved`] (double encoding).
    DoubleEncoded,
    /// The percent-decoded path is not valid UTF-8.
    InvalidUtf8,
    /// An empty segment (`//`).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
}

impl PathError {
    /// A stable snake_case detail code.
    pub fn detail(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "path_not_absolute",
            PathError::BadCharacter => "path_bad_character",
            PathError::BadEscape => "path_bad_escape",
            PathError::EncodedReserved => "path_encoded_reserved",
            PathError::DoubleEncoded => "path_double_encoded",
            PathError::InvalidUtf8 => "path_invalid_utf8",
            PathError::EmptySegment => "path_empty_segment",
            PathError::DotSegment => "path_dot_segment",
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends the bytes of `s` to `out`, each byte `keep` refuses as `%XX` with uppercase hex
/// digits (RFC 3986 §2.1). Used for the `Location` values the gate builds (sign-in
/// `return_to`, a directory's trailing slash), whose allowed sets differ.
pub fn push_percent_encoded(out: &mut String, s: &str, keep: impl Fn(u8) -> bool) {
    const HEX: &str = "0123456789ABCDEF";
    for b in s.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 15] {
                let i = usize::from(nibble);
                out.push_str(HEX.get(i..=i).unwrap_or("0"));
            }
        }
    }
}

/// Percent-decodes `s` once (RFC 3986 §2.1): `%XX` with exactly two hex digits, everything else
/// kept as is. `None` on a malformed escape. Shared by the gate (Amplify cookie names) and the
/// auth function (query strings, return paths).
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

/// [`percent_decode`], then UTF-8: `None` on a malformed escape or when the decoded bytes are
/// not valid UTF-8. Like [`percent_decode`] it does not treat `+` as a space (form decoding
/// replaces `+` first). Used where the decoded value is compared as text (Amplify cookie names,
/// query parameters).
pub fn percent_decode_utf8(s: &str) -> Option<String> {
    String::from_utf8(percent_decode(s)?).ok()
}

/// The byte two hex digits starting at `at` encode, if they are two hex digits.
fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let hi = bytes.get(at).copied().and_then(hex_value)?;
    let lo = bytes.get(at + 1).copied().and_then(hex_value)?;
    Some((hi << 4) | lo)
}

/// Bytes that must never be percent-encoded in a canonical path: `.`, `/`, `\`, controls and
/// the other unreserved characters.
fn must_stay_plain(decoded: u8) -> bool {
    decoded < 0x20
        || decoded == 0x7f
        || decoded == b'/'
        || decoded == b'\\'
        || decoded.is_ascii_alphanumeric()
        || b"-._~".contains(&decoded)
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// Checks that `uri` is a canonical absolute path (see the module docs).
///
/// # Errors
/// The first [`PathError`] found.
pub fn check_canonical(uri: &str) -> Result<(), PathError> {
    let bytes = uri.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    let mut decoded_path = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let Some(decoded) = hex_pair(bytes, i + 1) else {
                return Err(PathError::BadEscape);
            };
            if must_stay_plain(decoded) {
                return Err(PathError::EncodedReserved);
            }
            // `%25` then two hex digits: what a second decoder would see as an escape.
            if decoded == b'%' && hex_pair(bytes, i + 3).is_some_and(must_stay_plain) {
                return Err(PathError::DoubleEncoded);
            }
            decoded_path.push(decoded);
            i += 3;
        } else if is_plain(b) {
            decoded_path.push(b);
            i += 1;
        } else {
            return Err(PathError::BadCharacter);
        }
    }
    if core::str::from_utf8(&decoded_path).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    let inner = uri.get(1..).unwrap_or_default();
    let segments: Vec<&str> = inner.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (n, segment) in segments.iter().enumerate() {
        match *segment {
            "" if n == last => {} // "/" itself, or one trailing slash
            "" => return Err(PathError::EmptySegment),
            "." | ".." => return Err(PathError::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `path` lies under `prefix` on whole segments: `/releases` covers `/releases` and
/// `/releases/x`, not `/releases-old`; `/` covers everything.
pub fn covers(prefix: &str, path: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_ok() {
        for p in [
            "/",
            "/releases",
            "/releases/",
            "/releases/1.0.0/app.zip",
            "/a%20b/%C3%BC.txt",
            "/a/b;c=d/@x:y",
            "/a%25b",
            "/a%2520b",
            "/100%25",
            "/a%25zz",
            "/.well-known/x",
            "/a..b/c.",
        ] {
            assert_eq!(check_canonical(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn non_canonical_paths_fail() {
        let cases = [
            ("", PathError::NotAbsolute),
            ("releases", PathError::NotAbsolute),
            ("/releases/../secret", PathError::DotSegment),
            ("/releases/./x", PathError::DotSegment),
            ("/releases/..", PathError::DotSegment),
            ("/releases/%2e%2e/secret", PathError::EncodedReserved),
            ("/releases/%2E%2E/secret", PathError::EncodedReserved),
            ("/releases%2fsecret", PathError::EncodedReserved),
            ("/releases%2Fsecret", PathError::EncodedReserved),
            ("/releases%5csecret", PathError::EncodedReserved),
            ("/releases\\secret", PathError::BadCharacter),
            ("//releases", PathError::EmptySegment),
            ("/releases//x", PathError::EmptySegment),
            ("/a\u{0}b", PathError::BadCharacter),
            ("/a\tb", PathError::BadCharacter),
            ("/a b", PathError::BadCharacter),
            ("/a%00b", PathError::EncodedReserved),
            ("/a%0ab", PathError::EncodedReserved),
            ("/a%7fb", PathError::EncodedReserved),
            ("/%72eleases/x", PathError::EncodedReserved),
            ("/%252e%252e/secret", PathError::DoubleEncoded),
            ("/releases/%252F", PathError::DoubleEncoded),
            ("/%2572eleases/x", PathError::DoubleEncoded),
            ("/releases/%c0%ae%c0%ae/", PathError::InvalidUtf8),
            ("/releases/%ed%a0%80", PathError::InvalidUtf8),
            ("/releases/%ff", PathError::InvalidUtf8),
            ("/releases/%C3", PathError::InvalidUtf8),
            ("/a%2", PathError::BadEscape),
            ("/a%zz", PathError::BadEscape),
            ("/caf\u{e9}", PathError::BadCharacter),
            ("/a#b", PathError::BadCharacter),
            ("/a?b", PathError::BadCharacter),
        ];
        for (p, want) in cases {
            assert_eq!(check_canonical(p), Err(want), "{p:?}");
        }
    }

    #[test]
    fn percent_decode_strict_hex_only() {
        assert_eq!(percent_decode("a%20b%2F"), Some(b"a b/".to_vec()));
        assert_eq!(percent_decode("%+1"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn percent_decode_utf8_is_the_byte_decoder_plus_utf8() {
        assert_eq!(
            percent_decode_utf8("a%20b%C3%BC"),
            Some("a b\u{fc}".to_string())
        );
        // The intended difference: bytes that are not UTF-8 decode, but are not text.
        assert_eq!(percent_decode("%ff"), Some(vec![0xff]));
        assert_eq!(percent_decode_utf8("%ff"), None);
        assert_eq!(percent_decode_utf8("%C3"), None);
        // The same strict escapes, and `+` is not a space in either.
        assert_eq!(percent_decode_utf8("%2"), None);
        assert_eq!(percent_decode("a+b"), Some(b"a+b".to_vec()));
        assert_eq!(percent_decode_utf8("a+b"), Some("a+b".to_string()));
    }

    #[test]
    fn covers_whole_segments_only() {
        assert!(covers("/releases", "/releases"));
        assert!(covers("/releases", "/releases/"));
        assert!(covers("/releases", "/releases/x"));
        assert!(!covers("/releases", "/releases-old"));
        assert!(!covers("/releases", "/release"));
        assert!(covers("/", "/anything"));
    }
}
