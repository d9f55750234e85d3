//! How one object goes to S3, by size: a single PutObject up to [`MULTIPART_THRESHOLD`] bytes,
//! above it a multipart upload with parts of max(8 MiB, ceil(size / 10,000)) bytes, so every
//! object up to [`MAX_OBJECT_SIZE`] stays within S3's 10,000 parts (Amazon S3 User Guide,
//! "Amazon S3 multipart upload limits"). Also the [`Sha256`] digest in the two encodings used
//! (hex for `x-amz-meta-sha256` and the manifest, base64 for `x-amz-checksum-sha256`; Amazon S3
//! User Guide, "Checking object integrity") and the Content-Type by extension. Pure; shared by
//! the scan (part hashes), the plan and the store, and re-exported from [`crate::plan`].

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// Files larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 * MIB;
/// The smallest part size used.
pub const MIN_PART_SIZE: u64 = 8 * MIB;
/// S3's limit on the number of parts.
pub const MAX_PARTS: u64 = 10_000;
/// S3's limit on an object's size (5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;

/// A SHA-256 digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Lower-case hex (`x-amz-meta-sha256`, the manifest).
    pub fn hex(&self) -> String {
        use core::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}"); // reason: writing to a String cannot fail
        }
        s
    }

    /// Standard base64 (`x-amz-checksum-sha256`).
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// How one file is transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// One PutObject with `x-amz-checksum-sha256`.
    Single,
    /// A multipart upload with a SHA-256 per part.
    Multipart {
        /// Bytes per part (the last part may be smaller).
        part_size: u64,
        /// Number of parts.
        parts: u32,
    },
}

/// The transfer for a file of `size` bytes: multipart above [`MULTIPART_THRESHOLD`], with parts
/// of max(8 MiB, ceil(size / 10,000)).
pub fn transfer_for(size: u64) -> Transfer {
    if size <= MULTIPART_THRESHOLD {
        return Transfer::Single;
    }
    let part_size = MIN_PART_SIZE.max(size.div_ceil(MAX_PARTS));
    let parts = u32::try_from(size.div_ceil(part_size)).unwrap_or(u32::MAX);
    Transfer::Multipart { part_size, parts }
}

/// The `(offset, length)` of each part of a `size`-byte file cut into `part_size` parts.
pub fn part_ranges(size: u64, part_size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if part_size == 0 {
        return out;
    }
    let mut offset = 0;
    while offset < size {
        let len = part_size.min(size - offset);
        out.push((offset, len));
        offset += len;
    }
    out
}

/// The Content-Type for a file name (by extension; `application/octet-stream` otherwise).
pub fn content_type(path: &str) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_rule_ok() {
        assert_eq!(transfer_for(0), Transfer::Single);
        assert_eq!(transfer_for(MULTIPART_THRESHOLD), Transfer::Single);
        assert_eq!(
            transfer_for(MULTIPART_THRESHOLD + 1),
            Transfer::Multipart {
                part_size: 8 * MIB,
                parts: 3
            }
        );
        // 100 GiB: ceil(size / 10,000) > 8 MiB.
        let size = 100 * 1024 * MIB;
        let Transfer::Multipart { part_size, parts } = transfer_for(size) else {
            panic!("multipart")
        };
        assert_eq!(part_size, size.div_ceil(10_000));
        assert!(u64::from(parts) <= MAX_PARTS);
        // 5 TiB stays within 10,000 parts.
        let Transfer::Multipart { parts, .. } = transfer_for(MAX_OBJECT_SIZE) else {
            panic!("multipart")
        };
        assert!(u64::from(parts) <= MAX_PARTS);
        let ranges = part_ranges(20 * MIB, 8 * MIB);
        assert_eq!(
            ranges,
            vec![(0, 8 * MIB), (8 * MIB, 8 * MIB), (16 * MIB, 4 * MIB)]
        );
        assert!(part_ranges(0, 8 * MIB).is_empty());
    }

    #[test]
    fn digest_encodings_ok() {
        let d = Sha256([0xab; 32]);
        assert_eq!(d.hex(), "ab".repeat(32));
        assert_eq!(d.base64().len(), 44);
    }
}
