//! A minimal DER reader and writer for SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), RSA public
//! keys (RFC 8017 §A.1.1) and P-256 points (RFC 5480 §2). Only definite, minimal lengths.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// rsaEncryption, 1.2.840.113549.1.1.1
pub(crate) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / secp256r1, 1.2.840.10045.3.1.7
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads one TLV with the expected tag and returns its value bytes.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], ()> {
        let (&t, rest) = self.rest.split_first().ok_or(())?;
        if t != tag {
            return Err(());
        }
        let (&first, mut rest) = rest.split_first().ok_or(())?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 {
                return Err(());
            }
            let (len_bytes, after) = rest.split_at_checked(n).ok_or(())?;
            rest = after;
            let mut len = 0usize;
            for &b in len_bytes {
                len = (len << 8) | usize::from(b);
            }
            // Minimal encoding: long form only for lengths >= 128, no leading zero byte.
            if len < 0x80 || len_bytes.first() == Some(&0) {
                return Err(());
            }
            len
        };
        let (value, after) = rest.split_at_checked(len).ok_or(())?;
        self.rest = after;
        Ok(value)
    }

    /// Reads a non-negative INTEGER and returns its magnitude without leading zero bytes.
    pub(crate) fn read_unsigned_integer(&mut self) -> Result<&'a [u8], ()> {
        let value = self.read(TAG_INTEGER)?;
        match value {
            [] => Err(()),
            [first, ..] if first & 0x80 != 0 => Err(()), // negative
            [0, second, ..] if second & 0x80 == 0 => Err(()), // non-minimal
            [0, rest @ ..] => Ok(rest),
            _ => Ok(value),
        }
    }
}

/// Encodes one TLV.
pub(crate) fn write(tag: u8, value: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8); // reason: len < 0x80 fits
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8); // reason: at most 8 bytes
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(value);
}

/// Encodes a non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn write_unsigned_integer(magnitude: &[u8], out: &mut Vec<u8>) {
    let trimmed: &[u8] = {
        let skip = magnitude.iter().take_while(|&&b| b == 0).count();
        magnitude.get(skip..).unwrap_or_default()
    };
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(trimmed);
    write(TAG_INTEGER, &v, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_long_form_round_trip_ok() {
        let value = vec![7u8; 300];
        let mut out = Vec::new();
        write(TAG_SEQUENCE, &value, &mut out);
        let mut r = Reader::new(&out);
        assert_eq!(r.read(TAG_SEQUENCE).unwrap(), &value[..]);
        assert!(r.is_empty());
    }

    #[test]
    fn der_non_minimal_length_fails() {
        let mut r = Reader::new(&[0x30, 0x81, 0x01, 0x00]);
        assert!(r.read(TAG_SEQUENCE).is_err());
        let mut r = Reader::new(&[0x30, 0x82, 0x00, 0x81]);
        assert!(r.read(TAG_SEQUENCE).is_err());
    }

    #[test]
    fn der_truncated_fails() {
        let mut r = Reader::new(&[0x30, 0x05, 0x00]);
        assert!(r.read(TAG_SEQUENCE).is_err());
    }

    #[test]
    fn der_integer_sign_rules() {
        assert_eq!(
            Reader::new(&[0x02, 0x02, 0x00, 0x80])
                .read_unsigned_integer()
                .unwrap(),
            &[0x80]
        );
        assert!(Reader::new(&[0x02, 0x01, 0x80])
            .read_unsigned_integer()
            .is_err());
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x01])
            .read_unsigned_integer()
            .is_err());
        let mut out = Vec::new();
        write_unsigned_integer(&[0x80], &mut out);
        assert_eq!(out, vec![0x02, 0x02, 0x00, 0x80]);
    }
}
