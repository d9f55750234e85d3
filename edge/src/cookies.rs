//! The `Cookie` header jar.
//!
//! Lambda@Edge can deliver several `cookie` header entries (HTTP/2 sends one per cookie); all
//! of them are read, in order (security catalogue TX-02). Each entry is split on `;`, each pair
//! at its first `=`, names and values trimmed of spaces (RFC 6265 §5.4 / §4.2.1). Duplicate names
//! are kept, so a caller can refuse ambiguity instead of picking one silently. Values are not
//! decoded.

/// The cookies of one request, in header order, duplicates kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieJar {
    pairs: Vec<(String, String)>,
}

impl CookieJar {
    /// Parses every `Cookie` header value.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        let mut pairs = Vec::new();
        for header in headers {
            for piece in header.split(';') {
                let piece = piece.trim_matches(|c| c == ' ' || c == '\t');
                if piece.is_empty() {
                    continue;
                }
                let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
                pairs.push((
                    name.trim_matches(|c| c == ' ' || c == '\t').to_string(),
                    value.trim_matches(|c| c == ' ' || c == '\t').to_string(),
                ));
            }
        }
        CookieJar { pairs }
    }

    /// All pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether any cookie has this exact name.
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// Every value of this exact name.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The pairs whose name does not satisfy `drop`, re-serialised as one `Cookie` value
    /// (`name=value; name=value`), or `None` when nothing is left.
    pub fn without(&self, drop: impl Fn(&str) -> bool) -> Option<String> {
        let kept: Vec<String> = self
            .pairs
            .iter()
            .filter(|(n, _)| !drop(n))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        if kept.is_empty() {
            None
        } else {
            Some(kept.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jar_joins_entries_and_keeps_duplicates() {
        let jar = CookieJar::parse(["a=1; b=2", "CloudFront-Policy=x", "a=3"]);
        assert_eq!(jar.all("a"), vec!["1", "3"]);
        assert!(jar.contains("CloudFront-Policy"));
        assert_eq!(
            jar.without(|n| n.starts_with("CloudFront-")).as_deref(),
            Some("a=1; b=2; a=3")
        );
    }

    #[test]
    fn jar_names_are_case_sensitive() {
        let jar = CookieJar::parse(["cloudfront-policy=x"]);
        assert!(!jar.contains("CloudFront-Policy"));
    }

    #[test]
    fn jar_tolerates_empty_pieces() {
        let jar = CookieJar::parse([";; a=1 ;", ""]);
        assert_eq!(jar.pairs().len(), 1);
        assert_eq!(jar.without(|_| true), None);
    }
}
