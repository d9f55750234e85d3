//! Resuming an interrupted multipart upload: the upload ledger's format and the pure decision
//! of which parts of a pending upload may be reused. No I/O: [`crate::ledger`] reads and
//! writes the ledger files, [`crate::store`] lists the parts and carries the decision out.
//!
//! A multipart upload that was created but neither completed nor aborted keeps its parts in
//! the bucket (and bills their storage) until it is completed, aborted, or removed by a bucket
//! lifecycle rule (Amazon S3 User Guide, "Uploading and copying objects using multipart
//! upload" and "Configuring a bucket lifecycle configuration to delete incomplete multipart
//! uploads").
//!
//! ## Why a local ledger, and not ListMultipartUploads alone
//!
//! S3 lists a pending upload's key, id and parts (ListMultipartUploads, ListParts), but not
//! what it was created with: its `x-amz-meta-sha256` (the whole-file digest), Content-Type and
//! Cache-Control are fixed by CreateMultipartUpload and only visible once it is completed. So
//! an upload found in the bucket alone cannot be proven to be for this file: completing one
//! created for other content that shares its first parts gives an object whose metadata
//! describes other bytes. The ledger (one JSON Lines file per key, written by the run that
//! created the upload) records that identity ([`UploadIdentity`]) and, for each part S3
//! accepted, its number, size, SHA-256 and ETag ([`RecordedPart`]). Pending uploads under the
//! release that no ledger of this machine vouches for are aborted, never reused: a rerun from
//! another machine uploads afresh.
//!
//! ## When a part is reused ([`decide`])
//!
//! The ledger's identity must equal the local file's (size, SHA-256, part size under
//! [`crate::plan::transfer_for`], number of parts, Content-Type, Cache-Control); otherwise the
//! file changed, and the upload is rejected ([`Reject`]) and aborted. Then part N is reused
//! only when all of these hold:
//!
//! - the ledger recorded part N with the local part's size and SHA-256 (the
//!   `x-amz-checksum-sha256` the run sent, which S3 verified before it answered; Amazon S3 User
//!   Guide, "Checking object integrity", "Using part-level checksums for multipart uploads");
//! - ListParts lists part N with that size and the recorded ETag (so it is the part that run
//!   uploaded, not one written since), and with the same `ChecksumSHA256` when it lists one
//!   (S3 does for uploads created with the SHA-256 algorithm).
//!
//! A part listed without an ETag, or not recorded (the run stopped before it could record
//! S3's answer), is not reused: it is uploaded again under the same number, which replaces it.
//! A listed part that contradicts the ledger (another ETag, size or checksum, a recorded part
//! that is gone, a part number the file does not have) means something else wrote into the
//! upload: it is rejected whole.

use crate::plan::Sha256;
use serde::{Deserialize, Serialize};

/// The ledger's format version (the `format` member of its first line).
pub const LEDGER_FORMAT: u32 = 1;

/// What a multipart upload was created for: the metadata CreateMultipartUpload fixed and the
/// part layout its parts follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadIdentity {
    /// The file's size in bytes.
    pub size: u64,
    /// The whole-file SHA-256 (lower-case hex), its `x-amz-meta-sha256`.
    pub sha256: String,
    /// Bytes per part (the last may be smaller).
    pub part_size: u64,
    /// Number of parts.
    pub parts: usize,
    /// Its Content-Type.
    pub content_type: String,
    /// Its Cache-Control.
    pub cache_control: String,
}

/// The first line of a ledger file: which upload it records, and for what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerHeader {
    /// [`LEDGER_FORMAT`].
    pub format: u32,
    /// The S3 endpoint (`--endpoint-url`), or `aws` for AWS's own.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The upload id (not a credential; never printed).
    pub upload_id: String,
    /// When the upload was created, seconds since the epoch.
    pub created_at: u64,
    /// What it was created for.
    #[serde(flatten)]
    pub identity: UploadIdentity,
}

/// A later line of a ledger file: one part S3 accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPart {
    /// The part number (1-based).
    pub part: i32,
    /// Size in bytes.
    pub size: u64,
    /// The `x-amz-checksum-sha256` sent and accepted (standard base64).
    pub sha256: String,
    /// The ETag S3 answered.
    pub e_tag: String,
}

/// A parsed ledger file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    /// Its first line.
    pub header: LedgerHeader,
    /// The recorded parts (a later line for the same number replaces an earlier one).
    pub parts: Vec<RecordedPart>,
}

impl Ledger {
    /// Parses a ledger file's text: `None` when the first line is not a header of this format.
    /// A part line that does not parse (a line cut short by a crash) is ignored: that part is
    /// then simply not reused.
    pub fn parse(text: &str) -> Option<Ledger> {
        let mut lines = text.lines();
        let header: LedgerHeader = serde_json::from_str(lines.next()?).ok()?;
        if header.format != LEDGER_FORMAT {
            return None;
        }
        let mut parts: Vec<RecordedPart> = Vec::new();
        for line in lines {
            let Ok(part) = serde_json::from_str::<RecordedPart>(line) else {
                continue;
            };
            parts.retain(|p| p.part != part.part);
            parts.push(part);
        }
        parts.sort_by_key(|p| p.part);
        Some(Ledger { header, parts })
    }
}

/// One part of a pending multipart upload, as ListParts reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedPart {
    /// The part number.
    pub number: i32,
    /// Size in bytes.
    pub size: u64,
    /// Its ETag, when listed.
    pub e_tag: Option<String>,
    /// Its `ChecksumSHA256` (standard base64), when listed.
    pub sha256: Option<String>,
}

/// A part reused from a pending upload: what CompleteMultipartUpload needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReusedPart {
    /// The part number (1-based).
    pub number: i32,
    /// Size in bytes.
    pub size: u64,
    /// Its ETag.
    pub e_tag: String,
    /// Its SHA-256 (standard base64), equal to the local part's.
    pub sha256: String,
}

/// A pending upload to resume: the parts it holds for this file and the ones still to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resumable {
    /// The upload to resume.
    pub upload_id: String,
    /// The parts reused, ascending.
    pub reused: Vec<ReusedPart>,
    /// The part numbers still to upload, ascending.
    pub missing: Vec<i32>,
}

impl Resumable {
    /// Bytes already uploaded (not sent again).
    pub fn reused_bytes(&self) -> u64 {
        self.reused
            .iter()
            .map(|p| p.size)
            .fold(0, u64::saturating_add)
    }
}

/// Why a pending upload is not resumed (it is aborted and the file uploaded afresh).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// The upload was created for other content or another layout.
    #[error("it was created for another {0} (the file changed, or the part size rule did)")]
    Changed(&'static str),
    /// A part number this file does not have.
    #[error("it holds part {number}, the file has {parts} part(s)")]
    ExtraPart {
        /// The part number.
        number: i32,
        /// How many parts the file has.
        parts: usize,
    },
    /// The same part number listed twice.
    #[error("part {0} is listed twice")]
    DuplicatePart(i32),
    /// A listed part of another size than the local part.
    #[error("part {number} is {got} bytes, the local part {want}")]
    SizeMismatch {
        /// The part number.
        number: i32,
        /// The local part's size in bytes.
        want: u64,
        /// The listed part's size in bytes.
        got: u64,
    },
    /// A listed part whose ETag is not the one recorded: it was written since.
    #[error("part {0} was replaced since it was uploaded (ETag differs)")]
    ETagMismatch(i32),
    /// A listed part whose SHA-256 is not the local part's.
    #[error("part {0} holds other bytes (SHA-256 differs)")]
    ChecksumMismatch(i32),
    /// A part recorded as uploaded that ListParts no longer lists.
    #[error("part {0} was recorded but is no longer listed")]
    RecordedPartGone(i32),
}

fn decode_sha256(b64: &str) -> Option<[u8; 32]> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
}

fn same_e_tag(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.trim().trim_matches('"').to_ascii_lowercase();
    strip(a) == strip(b)
}

/// Which parts of the ledger's upload may be reused for the local file whose identity is
/// `local`, cut into `ranges` (`(offset, length)` in bytes, [`crate::plan::part_ranges`]) with
/// part digests `digests`, given what ListParts lists (`listed`, any order). See the module
/// docs for the rules.
///
/// # Errors
/// The first [`Reject`] found: the upload is not resumed.
pub fn decide(
    local: &UploadIdentity,
    ranges: &[(u64, u64)],
    digests: &[Sha256],
    ledger: &Ledger,
    listed: &[ListedPart],
) -> Result<Resumable, Reject> {
    let recorded = &ledger.header.identity;
    let changed = [
        ("size", recorded.size == local.size),
        ("content (SHA-256)", recorded.sha256 == local.sha256),
        ("part size", recorded.part_size == local.part_size),
        ("number of parts", recorded.parts == local.parts),
        ("Content-Type", recorded.content_type == local.content_type),
        (
            "Cache-Control",
            recorded.cache_control == local.cache_control,
        ),
        (
            "part layout",
            ranges.len() == local.parts && digests.len() == local.parts,
        ),
    ];
    if let Some((what, _)) = changed.iter().find(|(_, same)| !same) {
        return Err(Reject::Changed(what));
    }
    let mut listed: Vec<&ListedPart> = listed.iter().collect();
    listed.sort_by_key(|p| p.number);
    let listed_numbers: Vec<i32> = listed.iter().map(|p| p.number).collect();
    let mut reused = Vec::new();
    let mut previous: Option<i32> = None;
    for part in listed {
        if previous == Some(part.number) {
            return Err(Reject::DuplicatePart(part.number));
        }
        previous = Some(part.number);
        let index = usize::try_from(part.number)
            .ok()
            .and_then(|n| n.checked_sub(1));
        let (Some(&(_, want)), Some(digest)) = (
            index.and_then(|i| ranges.get(i)),
            index.and_then(|i| digests.get(i)),
        ) else {
            return Err(Reject::ExtraPart {
                number: part.number,
                parts: ranges.len(),
            });
        };
        if part.size != want {
            return Err(Reject::SizeMismatch {
                number: part.number,
                want,
                got: part.size,
            });
        }
        if let Some(listed_sha) = &part.sha256 {
            if decode_sha256(listed_sha) != Some(digest.0) {
                return Err(Reject::ChecksumMismatch(part.number));
            }
        }
        let Some(record) = ledger.parts.iter().find(|r| r.part == part.number) else {
            continue; // uploaded, but S3's answer was never recorded: sent again
        };
        let Some(e_tag) = &part.e_tag else {
            continue; // cannot be tied to the recorded part: sent again
        };
        if !same_e_tag(e_tag, &record.e_tag) {
            return Err(Reject::ETagMismatch(part.number));
        }
        if record.size != want || decode_sha256(&record.sha256) != Some(digest.0) {
            // The identity matched, so this is a ledger written by another program version.
            return Err(Reject::ChecksumMismatch(part.number));
        }
        reused.push(ReusedPart {
            number: part.number,
            size: part.size,
            e_tag: record.e_tag.clone(),
            sha256: digest.base64(),
        });
    }
    // Recorded as accepted, yet not listed at all: someone removed it.
    if let Some(gone) = ledger.parts.iter().find(|r| {
        usize::try_from(r.part).is_ok_and(|n| n >= 1 && n <= ranges.len())
            && !listed_numbers.contains(&r.part)
    }) {
        return Err(Reject::RecordedPartGone(gone.part));
    }
    let missing = (1..=ranges.len())
        .filter_map(|n| i32::try_from(n).ok())
        .filter(|n| !reused.iter().any(|r| r.number == *n))
        .collect();
    Ok(Resumable {
        upload_id: ledger.header.upload_id.clone(),
        reused,
        missing,
    })
}

/// Whether `numbers` (the parts a CompleteMultipartUpload names) are exactly 1 to `parts`,
/// each once, ascending: an upload is completed only with every part of the file.
pub fn covers_every_part(numbers: &[i32], parts: usize) -> bool {
    numbers.len() == parts
        && numbers
            .iter()
            .enumerate()
            .all(|(i, n)| usize::try_from(*n).ok() == Some(i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{part_ranges, MIB, RELEASE_CACHE_CONTROL};

    const SIZE: u64 = 20 * MIB + 5;
    const PART: u64 = 8 * MIB;
    const LAST: u64 = 4 * MIB + 5;

    fn digest(n: u8) -> Sha256 {
        Sha256([n; 32])
    }

    fn identity() -> UploadIdentity {
        UploadIdentity {
            size: SIZE,
            sha256: digest(0xaa).hex(),
            part_size: PART,
            parts: 3,
            content_type: "application/octet-stream".into(),
            cache_control: RELEASE_CACHE_CONTROL.into(),
        }
    }

    /// A 20 MiB + 5 B file in 8 MiB parts: 3 parts with digests 1, 2, 3.
    fn layout() -> (Vec<(u64, u64)>, Vec<Sha256>) {
        let ranges = part_ranges(SIZE, PART);
        assert_eq!(ranges.len(), 3);
        (ranges, vec![digest(1), digest(2), digest(3)])
    }

    fn recorded(part: i32, size: u64, d: u8) -> RecordedPart {
        RecordedPart {
            part,
            size,
            sha256: digest(d).base64(),
            e_tag: format!("\"etag-{part}-{d}\""),
        }
    }

    fn listed(part: i32, size: u64, d: u8) -> ListedPart {
        ListedPart {
            number: part,
            size,
            e_tag: Some(format!("\"etag-{part}-{d}\"")),
            sha256: None,
        }
    }

    fn ledger(parts: Vec<RecordedPart>) -> Ledger {
        Ledger {
            header: LedgerHeader {
                format: LEDGER_FORMAT,
                endpoint: "aws".into(),
                bucket: "b".into(),
                key: "releases/1.0.0/big.bin".into(),
                upload_id: "up-1".into(),
                created_at: 1_700_000_000,
                identity: identity(),
            },
            parts,
        }
    }

    fn run(l: &Ledger, listed: &[ListedPart]) -> Result<Resumable, Reject> {
        let (ranges, digests) = layout();
        decide(&identity(), &ranges, &digests, l, listed)
    }

    fn numbers(r: &Resumable) -> Vec<i32> {
        r.reused.iter().map(|p| p.number).collect()
    }

    #[test]
    fn recorded_and_listed_parts_are_reused_the_rest_sent_ok() {
        let l = ledger(vec![recorded(1, PART, 1), recorded(3, LAST, 3)]);
        // Listed out of order; S3's checksum, when listed, agrees.
        let mut three = listed(3, LAST, 3);
        three.sha256 = Some(digest(3).base64());
        let r = run(&l, &[three, listed(1, PART, 1)]).unwrap();
        assert_eq!(r.upload_id, "up-1");
        assert_eq!(numbers(&r), [1, 3]);
        assert_eq!(r.reused[0].e_tag, "\"etag-1-1\"");
        assert_eq!(r.reused[1].sha256, digest(3).base64());
        assert_eq!(r.missing, [2]);
        assert_eq!(r.reused_bytes(), PART + LAST);

        // Every part there: nothing left to send.
        let l = ledger(vec![
            recorded(1, PART, 1),
            recorded(2, PART, 2),
            recorded(3, LAST, 3),
        ]);
        let all = [listed(1, PART, 1), listed(2, PART, 2), listed(3, LAST, 3)];
        let r = run(&l, &all).unwrap();
        assert!(r.missing.is_empty());
        assert_eq!(r.reused_bytes(), SIZE);
    }

    #[test]
    fn unrecorded_or_untied_parts_are_sent_again_ok() {
        // Part 2 is listed but its answer was never recorded (the run stopped first); part 1 is
        // listed without an ETag (a server that lists none): neither is reused.
        let l = ledger(vec![recorded(1, PART, 1)]);
        let mut one = listed(1, PART, 1);
        one.e_tag = None;
        let r = run(&l, &[one, listed(2, PART, 2)]).unwrap();
        assert!(r.reused.is_empty());
        assert_eq!(r.missing, [1, 2, 3]);
        // Nothing listed, nothing recorded: the same upload, every part to send.
        let r = run(&ledger(Vec::new()), &[]).unwrap();
        assert_eq!(r.missing, [1, 2, 3]);
    }

    #[test]
    fn a_mismatching_checksum_rejects_the_upload() {
        let l = ledger(vec![recorded(1, PART, 1), recorded(2, PART, 2)]);
        // S3 lists another SHA-256 for part 2.
        let mut two = listed(2, PART, 2);
        two.sha256 = Some(digest(9).base64());
        assert_eq!(
            run(&l, &[listed(1, PART, 1), two]),
            Err(Reject::ChecksumMismatch(2))
        );
        // An unparsable or short checksum proves nothing either.
        for bad in ["not base64!", "AAAAAA=="] {
            let mut one = listed(1, PART, 1);
            one.sha256 = Some(bad.into());
            assert_eq!(run(&l, &[one]), Err(Reject::ChecksumMismatch(1)), "{bad}");
        }
        // The ledger recorded other bytes for part 1 than the local part holds.
        let l = ledger(vec![recorded(1, PART, 7)]);
        let mut one = listed(1, PART, 7);
        one.e_tag = Some(l.parts[0].e_tag.clone());
        assert_eq!(run(&l, &[one]), Err(Reject::ChecksumMismatch(1)));
    }

    #[test]
    fn a_part_replaced_since_it_was_recorded_rejects_the_upload() {
        let l = ledger(vec![recorded(1, PART, 1), recorded(2, PART, 2)]);
        // Part 2's ETag is not the one recorded: other bytes of the same size were written.
        let mut two = listed(2, PART, 2);
        two.e_tag = Some("\"0123456789abcdef\"".into());
        assert_eq!(
            run(&l, &[listed(1, PART, 1), two]),
            Err(Reject::ETagMismatch(2))
        );
        // ETags compare without their quotes and case.
        let mut two = listed(2, PART, 2);
        two.e_tag = Some("ETAG-2-2".into());
        assert_eq!(
            numbers(&run(&l, &[listed(1, PART, 1), two]).unwrap()),
            [1, 2]
        );
    }

    #[test]
    fn a_size_mismatch_rejects_the_upload() {
        let l = ledger(vec![recorded(3, LAST, 3)]);
        assert_eq!(
            run(&l, &[listed(3, 4 * MIB, 3)]),
            Err(Reject::SizeMismatch {
                number: 3,
                want: LAST,
                got: 4 * MIB
            })
        );
    }

    #[test]
    fn missing_parts_are_sent_and_recorded_parts_that_vanished_reject() {
        // Part 2 never uploaded: sent.
        let l = ledger(vec![recorded(1, PART, 1), recorded(3, LAST, 3)]);
        let r = run(&l, &[listed(1, PART, 1), listed(3, LAST, 3)]).unwrap();
        assert_eq!(r.missing, [2]);
        // Part 3 was recorded as accepted but is no longer listed: something removed it.
        assert_eq!(
            run(&l, &[listed(1, PART, 1)]),
            Err(Reject::RecordedPartGone(3))
        );
    }

    #[test]
    fn extra_and_duplicate_parts_reject_the_upload() {
        let l = ledger(vec![recorded(1, PART, 1)]);
        assert_eq!(
            run(&l, &[listed(1, PART, 1), listed(4, PART, 4)]),
            Err(Reject::ExtraPart {
                number: 4,
                parts: 3
            })
        );
        for number in [0, -1, i32::MAX] {
            assert!(
                matches!(
                    run(&l, &[listed(number, PART, 1)]),
                    Err(Reject::ExtraPart { .. })
                ),
                "{number}"
            );
        }
        assert_eq!(
            run(&l, &[listed(1, PART, 1), listed(1, PART, 1)]),
            Err(Reject::DuplicatePart(1))
        );
    }

    #[test]
    fn a_different_part_size_plan_or_other_content_rejects_the_upload() {
        let (ranges, digests) = layout();
        let mut l = ledger(vec![recorded(1, 5 * MIB, 1)]);
        l.header.identity.part_size = 5 * MIB;
        l.header.identity.parts = 5;
        assert_eq!(
            decide(&identity(), &ranges, &digests, &l, &[listed(1, 5 * MIB, 1)]),
            Err(Reject::Changed("part size"))
        );
        // Same layout, other content (the file changed since the upload was created).
        let mut l = ledger(vec![recorded(1, PART, 1)]);
        l.header.identity.sha256 = digest(0xbb).hex();
        assert_eq!(
            decide(&identity(), &ranges, &digests, &l, &[listed(1, PART, 1)]),
            Err(Reject::Changed("content (SHA-256)"))
        );
        let mut l = ledger(Vec::new());
        l.header.identity.content_type = "text/plain".into();
        assert_eq!(
            decide(&identity(), &ranges, &digests, &l, &[]),
            Err(Reject::Changed("Content-Type"))
        );
        // A layout that does not follow the identity (a caller's bug) is refused too.
        let l = ledger(Vec::new());
        assert_eq!(
            decide(&identity(), &ranges[..2], &digests, &l, &[]),
            Err(Reject::Changed("part layout"))
        );
        // Listed parts of another part size, even under a matching ledger, are refused.
        let l = ledger(vec![recorded(1, PART, 1)]);
        assert!(matches!(
            run(&l, &[listed(1, 5 * MIB, 1)]),
            Err(Reject::SizeMismatch { number: 1, .. })
        ));
    }

    #[test]
    fn ledger_lines_round_trip_and_torn_lines_are_ignored_ok() {
        let l = ledger(vec![recorded(1, PART, 1), recorded(2, PART, 2)]);
        let mut text = serde_json::to_string(&l.header).unwrap();
        for p in [&l.parts[1], &recorded(1, PART, 9), &l.parts[0]] {
            text.push('\n');
            text.push_str(&serde_json::to_string(p).unwrap());
        }
        // A crash mid-append leaves a torn last line.
        text.push_str("\n{\"part\":3,\"si");
        let parsed = Ledger::parse(&text).unwrap();
        assert_eq!(parsed.header, l.header);
        // The later line for part 1 replaces the earlier one; sorted by number.
        assert_eq!(parsed.parts, l.parts);
        assert!(text.lines().next().unwrap().contains("\"sha256\""));
        // Not a ledger, or another format: none.
        assert_eq!(Ledger::parse(""), None);
        assert_eq!(Ledger::parse("{\"part\":1}"), None);
        let other = text.replacen("\"format\":1", "\"format\":2", 1);
        assert_eq!(Ledger::parse(&other), None);
    }

    #[test]
    fn covers_every_part_ok() {
        assert!(covers_every_part(&[1, 2, 3], 3));
        assert!(!covers_every_part(&[1, 3], 3));
        assert!(!covers_every_part(&[1, 2, 2], 3));
        assert!(!covers_every_part(&[2, 1, 3], 3));
        assert!(!covers_every_part(&[1, 2, 3, 4], 3));
        assert!(!covers_every_part(&[0, 1, 2], 3));
        assert!(covers_every_part(&[], 0));
    }
}
