//! Attack payload lists, kept as data files in `tests/kit/data/attacks/` so that every test that
//! needs a list (unit tests, end-to-end tests, fuzz seeds, Node tests) reads the same one.
//!
//! Each file starts with a header saying which property every line must satisfy, then holds one
//! payload per line in the format described there: blank lines and `#` lines are skipped,
//! `\\ \t \n \r \0 \u{HEX} \#` are escapes, and a line of only `<empty>` is the empty payload.

/// The open-redirect `return_to` payloads (`open_redirect.txt`): each must end on the site root.
pub const OPEN_REDIRECT: &str = include_str!("../data/attacks/open_redirect.txt");

/// Every list as `(file name, text)`.
pub const ALL: &[(&str, &str)] = &[("open_redirect.txt", OPEN_REDIRECT)];

/// The payloads of [`OPEN_REDIRECT`], in file order.
pub fn open_redirects() -> Vec<String> {
    parse(OPEN_REDIRECT).unwrap_or_else(|e| panic!("open_redirect.txt: {e}"))
}

/// The payloads of a list's text, in order, or the first malformed line.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "<empty>" {
            out.push(String::new());
            continue;
        }
        out.push(unescape(line).map_err(|e| format!("line {}: {e}: {line:?}", i + 1))?);
    }
    Ok(out)
}

fn unescape(line: &str) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('#') => out.push('#'),
            Some('u') => {
                if chars.next() != Some('{') {
                    return Err("`\\u` without `{`".into());
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad `\\u{{{hex}}}`"))?;
                out.push(ch);
            }
            other => return Err(format!("unknown escape `\\{}`", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_list_is_non_empty_without_duplicates_and_with_a_property_header() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/attacks");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("data/attacks")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ALL.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "every file in data/attacks is in ALL");
        for (name, text) in ALL {
            assert!(text.starts_with('#'), "{name}: no header");
            assert!(
                text.contains("PROPERTY"),
                "{name}: header names no PROPERTY"
            );
            let payloads = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!payloads.is_empty(), "{name}: empty list");
            let mut seen = BTreeSet::new();
            for p in &payloads {
                assert!(seen.insert(p), "{name}: duplicate payload {p:?}");
            }
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(
            parse("# c\n\n/\\\\a\n\\t\\n\\r\\0\\#\n\\u{b}\n<empty>\n").unwrap(),
            ["/\\a", "\t\n\r\0#", "\u{b}", ""]
        );
        assert!(parse("\\q").is_err());
        assert!(parse("\\u{zz}").is_err());
        assert!(parse("\\u0b").is_err());
    }

    #[test]
    fn open_redirects_include_the_payloads_the_e2e_list_had_lost() {
        let list = open_redirects();
        for p in [
            "/%252F%252Fevil.com",
            "/%5cevil.com",
            "/x%00",
            "",
            "/\u{b}/evil.com",
        ] {
            assert!(list.iter().any(|q| q == p), "{p:?}");
        }
    }
}
