//! CloudFront's URL-safe base64 variant and strict base64url for JWTs.
//!
//! CloudFront base64 (AWS CloudFront Developer Guide, "Create a signed URL using a canned policy",
//! step "Replace characters that are invalid in a URL query string"): standard base64 *with*
//! padding, then `+`→`-`, `=`→`_`, `/`→`~`. It is not base64url. Decoding is strict: only that
//! alphabet, padding required, no non-canonical trailing bits, no whitespace.
//!
//! JWT segments use base64url without padding (RFC 7515 §2 and Appendix C); [`decode_b64url`]
//! refuses padding, the standard alphabet and stray trailing bits.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// Encodes bytes in CloudFront base64.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            other => other,
        })
        .collect()
}

/// Decodes CloudFront base64.
///
/// # Errors
/// `Err(())` for any character outside `A-Za-z0-9-~_`, missing or misplaced padding, or
/// non-canonical trailing bits.
#[allow(clippy::result_unit_err)] // reason: one failure mode; callers map it to their own error.
pub fn decode(text: &str) -> Result<Vec<u8>, ()> {
    let mut standard = String::with_capacity(text.len());
    for c in text.chars() {
        standard.push(match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' => c,
            '-' => '+',
            '_' => '=',
            '~' => '/',
            _ => return Err(()),
        });
    }
    STANDARD.decode(standard.as_bytes()).map_err(|_| ())
}

/// Decodes one JWT segment: base64url, no padding, canonical.
///
/// # Errors
/// `Err(())` for padding, characters outside `A-Za-z0-9-_`, or non-canonical trailing bits.
#[allow(clippy::result_unit_err)] // reason: one failure mode; callers map it to their own error.
pub fn decode_b64url(text: &str) -> Result<Vec<u8>, ()> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).map_err(|_| ())
}

/// Encodes bytes as base64url without padding (JWT segments, JWK members).
pub fn encode_b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes standard base64 with padding (PEM bodies, with whitespace already removed).
#[allow(clippy::result_unit_err)] // reason: one failure mode; callers map it to their own error.
pub(crate) fn decode_standard(text: &str) -> Result<Vec<u8>, ()> {
    STANDARD.decode(text.as_bytes()).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cf_base64_round_trip_all_lengths_ok() {
        for len in 0..70u8 {
            let bytes: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(251))
                .collect();
            let text = encode(&bytes);
            assert!(!text.contains(['+', '/', '=']));
            assert_eq!(decode(&text), Ok(bytes));
        }
    }

    #[test]
    fn cf_base64_substitutions_ok() {
        // 0xfb 0xff 0xbf encodes to "+/+/" in standard base64.
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "-~-~");
        assert_eq!(encode(&[0xff]), "~w__");
    }

    #[test]
    fn cf_base64_standard_alphabet_fails() {
        assert_eq!(decode("+/+/"), Err(()));
        assert_eq!(decode("~w=="), Err(()));
        // a mix of both alphabets
        assert_eq!(decode("~w=_"), Err(()));
    }

    #[test]
    fn cf_base64_non_canonical_or_unpadded_fails() {
        assert_eq!(decode("~x__"), Err(())); // stray trailing bits
        assert_eq!(decode("~w"), Err(())); // padding missing
        assert_eq!(decode("~w_"), Err(()));
        assert_eq!(decode("~w _"), Err(()));
        assert_eq!(decode("%7Ew__"), Err(()));
    }

    #[test]
    fn b64url_padding_and_stray_bits_fail() {
        assert_eq!(decode_b64url("YQ"), Ok(b"a".to_vec()));
        assert_eq!(decode_b64url("YQ=="), Err(()));
        assert_eq!(decode_b64url("YR"), Err(()));
        assert_eq!(decode_b64url("Y+"), Err(()));
        assert_eq!(decode_b64url("Y/"), Err(()));
        assert_eq!(decode_b64url("Y"), Err(()));
    }
}
