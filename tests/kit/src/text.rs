//! Plain-string helpers the tests of several crates had each written for themselves: tampering
//! with a base64 value and reading or rewriting the raw query of a (signed) URL. No decoding:
//! names and values are compared and returned exactly as they appear in the URL.

/// `text` with the ASCII character at byte `at` replaced by another of the same base64 alphabet
/// class (`A` becomes `B`, anything else becomes `A`), so the encoding stays well-formed and
/// only the bits change. Panics if `at` is out of range or not an ASCII character.
pub fn flip_char(text: &str, at: usize) -> String {
    assert!(
        text.as_bytes()[at].is_ascii(),
        "byte {at} of {text:?} is not ASCII"
    );
    let new = if text.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    format!("{}{new}{}", &text[..at], &text[at + 1..])
}

/// The raw `(name, value)` pairs of a URL's query, in order (a part without `=` has an empty
/// value; no `?` reads as one empty query, so one empty pair).
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `url` with every query parameter named `name` set to `value` (`None`: removed), everything
/// else kept in order. Panics if `url` has no query.
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let (base, query) = url.split_once('?').expect("URL with a query");
    let kept: Vec<String> = query
        .split('&')
        .filter_map(|kv| {
            let key = kv.split_once('=').map_or(kv, |(k, _)| k);
            if key != name {
                Some(kv.to_string())
            } else {
                value.map(|v| format!("{name}={v}"))
            }
        })
        .collect();
    format!("{base}?{}", kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_char_changes_one_character() {
        assert_eq!(flip_char("xAy", 1), "xBy");
        assert_eq!(flip_char("xQy", 1), "xAy");
        assert_eq!(flip_char("A", 0), "B");
    }

    #[test]
    fn query_pairs_are_raw_and_ordered() {
        assert_eq!(
            query_pairs("https://h/p?b=%2F&a&c=1=2"),
            [
                ("b".to_string(), "%2F".to_string()),
                ("a".to_string(), String::new()),
                ("c".to_string(), "1=2".to_string()),
            ]
        );
        assert_eq!(query_pairs("/p"), [(String::new(), String::new())]);
    }

    #[test]
    fn with_param_replaces_or_removes_in_place() {
        assert_eq!(
            with_param("/p?a=1&b=2&c=3", "b", Some("x")),
            "/p?a=1&b=x&c=3"
        );
        assert_eq!(with_param("/p?a=1&b=2&c=3", "b", None), "/p?a=1&c=3");
        assert_eq!(with_param("/p?a=1", "z", Some("x")), "/p?a=1");
    }
}
