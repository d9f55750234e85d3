//! File names, S3 keys and the URL paths viewers request: which names are published and which
//! are refused. Pure: no I/O.
//!
//! A file `DIR/a/b.txt` of release `1.0.0` becomes the key `<prefix>1.0.0/a/b.txt`; a viewer
//! fetches it through CloudFront as `/` + the key, percent-encoded as a browser would send it
//! ([`url_path`]). A name is published only if the gate would serve that URL path
//! ([`edgegate_edge::path::check_canonical`], the same rule the viewer-request function applies)
//! and S3 would keep it intact; [`check_name`] says why not otherwise.

use edgegate_edge::path::{check_canonical, PathError};
use std::fmt;

/// S3's limit on a key's UTF-8 length.
pub const MAX_KEY_BYTES: usize = 1024;

/// Why a file name is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// The file system name is not UTF-8 (S3 keys are UTF-8).
    NotUtf8,
    /// A control character (C0, DEL or C1).
    ControlCharacter,
    /// A `+`: S3 decodes `+` in a request path as a space, so the object could not be fetched
    /// through CloudFront under its name.
    Plus,
    /// A backslash: the gate refuses `\` and `%5C` in paths.
    Backslash,
    /// The key would exceed [`MAX_KEY_BYTES`].
    TooLong {
        /// The key's length in bytes.
        bytes: usize,
    },
    /// `manifest.json` or `manifest.json.minisig` at the top of the release: edgegate writes
    /// those objects itself.
    Reserved,
    /// The gate would refuse the object's URL path.
    NotCanonical(PathError),
    /// Not a regular file (a socket, a FIFO, a device) or a symbolic link to a directory.
    NotAFile,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::NotUtf8 => f.write_str("not valid UTF-8 (S3 keys are UTF-8)"),
            NameProblem::ControlCharacter => f.write_str("control character in the name"),
            NameProblem::Plus => f.write_str(
                "`+` in the name (S3 reads `+` in a URL path as a space: unreachable through CloudFront)",
            ),
            NameProblem::Backslash => f.write_str("`\\` in the name (the gate refuses it)"),
            NameProblem::TooLong { bytes } => {
                write!(f, "key is {bytes} bytes (S3 allows {MAX_KEY_BYTES})")
            }
            NameProblem::Reserved => {
                f.write_str("`manifest.json` and `manifest.json.minisig` at the top of a release are written by edgegate")
            }
            NameProblem::NotCanonical(e) => {
                write!(f, "the gate would refuse its URL path ({})", e.detail())
            }
            NameProblem::NotAFile => {
                f.write_str("not a regular file (or a symbolic link to a directory)")
            }
        }
    }
}

/// Characters a browser sends unencoded in a path and the gate accepts as they are.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// The URL path a viewer requests for `key`: `/` + the key with every byte outside the gate's
/// plain set percent-encoded (upper-case hex), as a browser encodes a path.
pub fn url_path(key: &str) -> String {
    use core::fmt::Write;
    let mut out = String::with_capacity(key.len() + 1);
    out.push('/');
    for &b in key.as_bytes() {
        if is_plain(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}"); // reason: writing to a String cannot fail
        }
    }
    out
}

/// Checks one file: `relative` is its path inside the published folder (`/`-separated),
/// `key` the full S3 key it would get.
///
/// # Errors
/// The first [`NameProblem`] found.
pub fn check_name(relative: &str, key: &str) -> Result<(), NameProblem> {
    if relative.chars().any(char::is_control) {
        return Err(NameProblem::ControlCharacter);
    }
    if relative.contains('+') {
        return Err(NameProblem::Plus);
    }
    if relative.contains('\\') {
        return Err(NameProblem::Backslash);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(NameProblem::TooLong { bytes: key.len() });
    }
    if relative == crate::plan::MANIFEST_NAME || relative == crate::plan::SIGNATURE_NAME {
        return Err(NameProblem::Reserved);
    }
    check_canonical(&url_path(key)).map_err(NameProblem::NotCanonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_encodes_like_a_browser() {
        assert_eq!(url_path("releases/1.0/a b.txt"), "/releases/1.0/a%20b.txt");
        assert_eq!(url_path("r/ü.txt"), "/r/%C3%BC.txt");
        assert_eq!(url_path("r/a(1)~x.tar.gz"), "/r/a(1)~x.tar.gz");
        assert_eq!(url_path("r/100%.txt"), "/r/100%25.txt");
        assert_eq!(url_path("r/{x}[y]\"z\""), "/r/%7Bx%7D%5By%5D%22z%22");
    }

    #[test]
    fn ordinary_names_ok() {
        for name in [
            "app.zip",
            "docs/index.html",
            "a b/c d.txt",
            "ü/ñ.bin",
            ".hidden",
            "100%.txt",
            "x%zz",
            "weird'name(1)!.txt",
            "sub/manifest.json",
        ] {
            let key = format!("releases/1.0.0/{name}");
            assert_eq!(check_name(name, &key), Ok(()), "{name}");
        }
    }

    #[test]
    fn refused_names_fail() {
        let long = "a".repeat(1100);
        let cases: Vec<(&str, NameProblem)> = vec![
            ("a\u{1}b", NameProblem::ControlCharacter),
            ("tab\there", NameProblem::ControlCharacter),
            ("nl\n", NameProblem::ControlCharacter),
            ("c1\u{85}x", NameProblem::ControlCharacter),
            ("del\u{7f}", NameProblem::ControlCharacter),
            ("a+b.txt", NameProblem::Plus),
            ("a\\b", NameProblem::Backslash),
            (&long, NameProblem::TooLong { bytes: 1115 }),
            ("manifest.json", NameProblem::Reserved),
            ("manifest.json.minisig", NameProblem::Reserved),
            (
                "a%2e%2e",
                NameProblem::NotCanonical(PathError::DoubleEncoded),
            ),
            ("x%2fy", NameProblem::NotCanonical(PathError::DoubleEncoded)),
            ("x%41y", NameProblem::NotCanonical(PathError::DoubleEncoded)),
            ("..", NameProblem::NotCanonical(PathError::DotSegment)),
            ("a/./b", NameProblem::NotCanonical(PathError::DotSegment)),
            ("a//b", NameProblem::NotCanonical(PathError::EmptySegment)),
        ];
        for (name, want) in cases {
            let key = format!("releases/1.0.0/{name}");
            assert_eq!(check_name(name, &key), Err(want), "{name:?}");
        }
    }
}
