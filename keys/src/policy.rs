//! CloudFront policies: the canned policy's canonical bytes, custom policy parsing, `Resource`
//! wildcard matching and the `IpAddress` condition.
//!
//! Sources: AWS CloudFront Developer Guide, "Create a signed URL using a canned policy" and
//! "Create a signed URL using a custom policy" (and the signed-cookie equivalents).
//!
//! - A canned policy is never transmitted: CloudFront rebuilds it from the request, so
//!   [`canned_policy`] must produce exactly
//!   `{"Statement":[{"Resource":"<url>","Condition":{"DateLessThan":{"AWS:EpochTime":<expires>}}}]}`
//!   (no whitespace, this member order, no escaping of `/`).
//! - A custom policy is transmitted in CloudFront base64; the signature covers exactly its
//!   decoded bytes, so whitespace there is tolerated. It has one statement; `DateLessThan` is
//!   required; `DateGreaterThan` and `IpAddress.AWS:SourceIp` (one IPv4 CIDR; IPv6 is not
//!   supported by CloudFront) are optional; epoch values are unquoted integers.
//! - edgegate is stricter than CloudFront in three documented ways: a policy without
//!   `Resource` (which CloudFront reads as "every file of every distribution that trusts the
//!   key") is refused; a `Resource` whose scheme is not a literal `http://` or `https://` (so a
//!   bare `*`) is refused; unknown members and duplicate member names are refused.
//! - `Resource` wildcards: `*` matches any run of characters (including none, `/` and `?`), `?`
//!   matches exactly one character; everything else is literal. Matching is over the raw URL
//!   (scheme, host, path and query, no percent-decoding), in linear space and O(n·m) worst-case
//!   time (no backtracking blow-up).

use crate::json;
use crate::VerifyError;
use serde_json::{Map, Value};
use std::net::Ipv4Addr;

/// Builds the canned policy CloudFront signs and verifies for `resource` and `expires`
/// (seconds since the epoch).
pub fn canned_policy(resource: &str, expires: u64) -> String {
    format!(
        r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
    )
}

/// An IPv4 CIDR block from `IpAddress.AWS:SourceIp` (`a.b.c.d/n`, or `a.b.c.d` for /32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n` (0 ≤ n ≤ 32) or a bare address (/32).
    ///
    /// # Errors
    /// `Err(())` for anything else, including IPv6 and leading zeros in the prefix length.
    #[allow(clippy::result_unit_err)] // reason: callers map it to their own error.
    pub fn parse(text: &str) -> Result<Self, ()> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 2 || (p.len() > 1 && p.starts_with('0')) {
                    return Err(());
                }
                let prefix: u8 = p.parse().map_err(|_| ())?;
                (a, prefix)
            }
            None => (text, 32),
        };
        if prefix > 32 {
            return Err(());
        }
        let network: Ipv4Addr = addr.parse().map_err(|_| ())?;
        Ok(Ipv4Cidr { network, prefix })
    }

    /// Whether `ip` is inside the block.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        (u32::from(ip) & mask) == (u32::from(self.network) & mask)
    }
}

impl core::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A parsed custom policy statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomPolicy {
    /// The `Resource` pattern (`*` and `?` wildcards).
    pub resource: String,
    /// `DateLessThan.AWS:EpochTime`: access ends at this second (exclusive).
    pub date_less_than: u64,
    /// `DateGreaterThan.AWS:EpochTime`: access starts at this second (inclusive).
    pub date_greater_than: Option<u64>,
    /// `IpAddress.AWS:SourceIp`.
    pub source_ip: Option<Ipv4Cidr>,
}

impl CustomPolicy {
    /// Parses decoded custom policy bytes.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] naming the problem (never echoing the policy).
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        let top = json::parse_object(bytes).map_err(|_| VerifyError::Malformed("policy json"))?;
        only_members(&top, &["Statement"])?;
        let statements = match top.get("Statement") {
            Some(Value::Array(s)) => s,
            _ => return Err(VerifyError::Malformed("policy Statement")),
        };
        let [Value::Object(statement)] = statements.as_slice() else {
            return Err(VerifyError::Malformed(
                "policy must have exactly one statement",
            ));
        };
        only_members(statement, &["Resource", "Condition"])?;
        let resource = match statement.get("Resource") {
            Some(Value::String(r)) => r.clone(),
            None => return Err(VerifyError::Malformed("policy Resource missing")),
            Some(_) => return Err(VerifyError::Malformed("policy Resource")),
        };
        if !(resource.starts_with("https://") || resource.starts_with("http://")) {
            return Err(VerifyError::Malformed(
                "policy Resource must start with http:// or https://",
            ));
        }
        let condition = match statement.get("Condition") {
            Some(Value::Object(c)) => c,
            _ => return Err(VerifyError::Malformed("policy Condition")),
        };
        only_members(condition, &["DateLessThan", "DateGreaterThan", "IpAddress"])?;
        let date_less_than = epoch_condition(condition, "DateLessThan")?
            .ok_or(VerifyError::Malformed("policy DateLessThan missing"))?;
        let date_greater_than = epoch_condition(condition, "DateGreaterThan")?;
        let source_ip = match condition.get("IpAddress") {
            None => None,
            Some(Value::Object(ip)) => {
                only_members(ip, &["AWS:SourceIp"])?;
                match ip.get("AWS:SourceIp") {
                    Some(Value::String(cidr)) => Some(
                        Ipv4Cidr::parse(cidr)
                            .map_err(|_| VerifyError::Malformed("policy AWS:SourceIp"))?,
                    ),
                    _ => return Err(VerifyError::Malformed("policy AWS:SourceIp")),
                }
            }
            Some(_) => return Err(VerifyError::Malformed("policy IpAddress")),
        };
        Ok(CustomPolicy {
            resource,
            date_less_than,
            date_greater_than,
            source_ip,
        })
    }

    /// Serialises the policy compactly, members in the order AWS documents them
    /// (`Resource`, then `Condition` with `DateLessThan`, `IpAddress`, `DateGreaterThan`), as
    /// botocore does; the AWS SDK for JavaScript puts `DateGreaterThan` before `IpAddress`. Only
    /// the bytes signed matter (a custom policy is verified as sent), so both verify.
    pub fn to_json(&self) -> String {
        let mut condition = format!(
            r#"{{"DateLessThan":{{"AWS:EpochTime":{}}}"#,
            self.date_less_than
        );
        if let Some(ip) = self.source_ip {
            condition.push_str(&format!(r#","IpAddress":{{"AWS:SourceIp":"{ip}"}}"#));
        }
        if let Some(start) = self.date_greater_than {
            condition.push_str(&format!(
                r#","DateGreaterThan":{{"AWS:EpochTime":{start}}}"#
            ));
        }
        condition.push('}');
        let resource = Value::String(self.resource.clone()).to_string();
        format!(r#"{{"Statement":[{{"Resource":{resource},"Condition":{condition}}}]}}"#)
    }
}

fn only_members(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), VerifyError> {
    if obj.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(VerifyError::Malformed("unknown policy member"))
    }
}

fn epoch_condition(
    condition: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<u64>, VerifyError> {
    match condition.get(name) {
        None => Ok(None),
        Some(Value::Object(inner)) => {
            only_members(inner, &["AWS:EpochTime"])?;
            inner
                .get("AWS:EpochTime")
                .and_then(json::as_epoch_seconds)
                .map(Some)
                .ok_or(VerifyError::Malformed(
                    "policy AWS:EpochTime must be an integer",
                ))
        }
        Some(_) => Err(VerifyError::Malformed("policy date condition")),
    }
}

/// Whether `url` matches the `Resource` `pattern`: `*` any run (including empty), `?` exactly one
/// character, all else literal, compared byte for byte on the raw URL.
pub fn resource_matches(pattern: &str, url: &str) -> bool {
    let p = pattern.as_bytes();
    let s = url.as_bytes();
    let (mut pi, mut si) = (0usize, 0usize);
    // Position after the last '*' seen, and the input position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((after_star, matched_to)) => {
                    pi = after_star;
                    si = matched_to + 1;
                    star = Some((after_star, matched_to + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_policy_bytes_exact() {
        assert_eq!(
            canned_policy(
                "https://d111111abcdef8.cloudfront.net/image.jpg",
                1357034400
            ),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}"#
        );
    }

    #[test]
    fn wildcard_star_matches_runs_ok() {
        let p = "https://d/releases/1.0.0/*";
        assert!(resource_matches(p, "https://d/releases/1.0.0/a.zip"));
        assert!(resource_matches(p, "https://d/releases/1.0.0/"));
        assert!(resource_matches(p, "https://d/releases/1.0.0/a/b?x=1"));
        assert!(!resource_matches(p, "https://d/releases/1.0.1/a.zip"));
        assert!(!resource_matches(p, "https://e/releases/1.0.0/a.zip"));
        // AWS example: /*game_download.zip* matches /example_game_download.zip?license=yes
        assert!(resource_matches(
            "https://d/*game_download.zip*",
            "https://d/example_game_download.zip?license=yes"
        ));
        assert!(!resource_matches(
            "https://d/*game_download.zip*",
            "https://d/game_download.zi"
        ));
    }

    #[test]
    fn wildcard_question_mark_one_char_ok() {
        assert!(resource_matches("https://d/a?c", "https://d/abc"));
        assert!(!resource_matches("https://d/a?c", "https://d/ac"));
        assert!(!resource_matches("https://d/a?c", "https://d/abbc"));
        // '?' in a Resource is a wildcard, not a query separator
        assert!(resource_matches("https://d/x?y=1", "https://d/x?y=1"));
        assert!(resource_matches("https://d/x?y=1", "https://d/xzy=1"));
    }

    #[test]
    fn wildcard_pathological_pattern_is_fast() {
        let pattern = format!("https://d/{}b", "*a".repeat(200));
        let url = format!("https://d/{}", "a".repeat(8000));
        assert!(!resource_matches(&pattern, &url));
    }

    #[test]
    fn wildcard_matches_reference_regex_semantics() {
        // Compared against a tiny reference: recursive matcher (exponential, small inputs only).
        fn reference(p: &[u8], s: &[u8]) -> bool {
            match (p.first(), s.first()) {
                (None, None) => true,
                (Some(b'*'), _) => {
                    reference(&p[1..], s) || (!s.is_empty() && reference(p, &s[1..]))
                }
                (Some(&c), Some(&d)) if c == b'?' || c == d => reference(&p[1..], &s[1..]),
                _ => false,
            }
        }
        let alphabet = [b'a', b'b', b'*', b'?', b'/'];
        let mut patterns = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &patterns {
                for &c in &alphabet {
                    let mut q: Vec<u8> = p.clone();
                    q.push(c);
                    next.push(q);
                }
            }
            patterns.extend(next.clone());
            patterns.dedup();
            if patterns.len() > 800 {
                break;
            }
        }
        let inputs = ["", "a", "ab", "ba", "a/b", "aab", "bb/", "abab"];
        for p in &patterns {
            let ps = std::str::from_utf8(p).unwrap();
            for s in inputs {
                assert_eq!(
                    resource_matches(ps, s),
                    reference(p, s.as_bytes()),
                    "{ps} vs {s}"
                );
            }
        }
    }

    #[test]
    fn cidr_parse_and_contains() {
        let c = Ipv4Cidr::parse("192.0.2.0/24").unwrap();
        assert!(c.contains("192.0.2.77".parse().unwrap()));
        assert!(!c.contains("198.51.100.1".parse().unwrap()));
        assert!(Ipv4Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Ipv4Cidr::parse("192.0.2.1")
            .unwrap()
            .contains("192.0.2.1".parse().unwrap()));
        for bad in [
            "192.0.2.0/33",
            "192.0.2.0/",
            "::1/128",
            "192.0.2/24",
            "192.0.2.0/024",
            "x",
        ] {
            assert!(Ipv4Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn custom_policy_parse_ok_and_shape_fails() {
        let ok = br#"{"Statement":[{"Resource":"https://d/*","Condition":{"DateLessThan":{"AWS:EpochTime":2000000000},"DateGreaterThan":{"AWS:EpochTime":10},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}"#;
        let p = CustomPolicy::parse(ok).unwrap();
        assert_eq!(p.date_less_than, 2000000000);
        assert_eq!(p.date_greater_than, Some(10));
        assert_eq!(CustomPolicy::parse(p.to_json().as_bytes()).unwrap(), p);
        // whitespace tolerated
        let spaced = br#"{ "Statement" : [ { "Resource" : "https://d/a", "Condition" : { "DateLessThan" : { "AWS:EpochTime" : 5 } } } ] }"#;
        assert!(CustomPolicy::parse(spaced).is_ok());
        let bad: &[&[u8]] = &[
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":"5"}}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":5.5}}}]}"#,
            br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}"#,
            br#"{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":5}}},{"Resource":"https://d/b","Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":5},"DateLessThan":{"AWS:EpochTime":9}}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}"#,
            br#"{"Statement":[{"Resource":"https://d/a","Condition":{"DateLessThan":{"AWS:EpochTime":5}},"Extra":1}]}"#,
        ];
        for b in bad {
            assert!(
                CustomPolicy::parse(b).is_err(),
                "{}",
                String::from_utf8_lossy(b)
            );
        }
    }
}
