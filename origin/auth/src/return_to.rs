//! Where to send the browser after sign-in: only same-site paths survive.
//!
//! Rules (security catalogue CB-09/CB-10/CB-11; field reports B12, B13, B14; RFC 9700 "Open
//! Redirection"): the target must start with exactly one `/`, its second character must be
//! neither `/` nor `\`, it may contain no backslash, no control or whitespace character (raw or
//! percent-encoded, including Unicode separators such as U+2028; the one exception is `%20`
//! inside a segment with other characters, since published names may contain spaces, field
//! report B10), no `%2f`/`%5c` that would make
//! `//` or `/\` once decoded (checked after one and two rounds of decoding), no dot segment,
//! and only ASCII: anything a browser could resolve to another origin. It is at most
//! [`MAX_RETURN_TO`] bytes. Anything else becomes `/`. The query string is kept intact. The
//! Location is then built from the configured site origin, never from `Host`.

use edgegate_edge::path::percent_decode;

/// Longest accepted return path (path + query), in bytes.
pub const MAX_RETURN_TO: usize = 2048;

/// `decoded`: the bytes are a percent-decoded form of the target, where a plain space is
/// allowed (published names may contain spaces, requested as `%20`; field report B10) unless a
/// segment is nothing but spaces (`/%20/evil.com`, oauth2-proxy's `[/\\]\s*[/\\]`). The raw
/// target itself never contains a space.
fn safe_bytes(path: &[u8], decoded: bool) -> bool {
    // one leading slash, and the next one is not a slash or backslash
    if path.first() != Some(&b'/') {
        return false;
    }
    if matches!(path.get(1), Some(b'/') | Some(b'\\')) {
        return false;
    }
    let space_ok = |c: char| decoded && c == ' ';
    let text = String::from_utf8_lossy(path);
    !path
        .iter()
        .any(|&b| b < 0x20 || b == 0x7f || b == b'\\' || (b == b' ' && !decoded))
        && !text
            .chars()
            .any(|c| (c.is_whitespace() && !space_ok(c)) || c.is_control())
        && !text
            .split('/')
            .any(|seg| !seg.is_empty() && seg.trim_matches(' ').is_empty())
}

/// Whether `target` (already percent-decoded once by the query parser) is a safe same-site
/// path; the string is checked raw and after one and two further rounds of percent-decoding.
pub fn is_safe(target: &str) -> bool {
    if target.is_empty() || target.len() > MAX_RETURN_TO {
        return false;
    }
    let raw = target.as_bytes();
    if !target.is_ascii() || !safe_bytes(raw, false) {
        return false;
    }
    // `"`, `<` and `>` are always percent-encoded by browsers (path and query), so raw they only
    // come from a crafted link; `"` would also double when the path is put into the JSON of
    // `state`, making a state larger than the callback accepts.
    if raw.iter().any(|b| matches!(b, b'"' | b'<' | b'>')) {
        return false;
    }
    // Only the path part decides where the browser goes; but control characters are refused
    // anywhere, since Location must never carry them.
    let path_end = target.find(['?', '#']).unwrap_or(target.len());
    let path = target.get(..path_end).unwrap_or_default();
    let mut current = path.to_string();
    for _ in 0..2 {
        let Some(decoded) = percent_decode(&current) else {
            return false;
        };
        if !safe_bytes(&decoded, true) {
            return false;
        }
        // dot segments that walk above the root after decoding ("/./\evil", "/../..//evil")
        let text = String::from_utf8_lossy(&decoded).replace('\\', "/");
        if text.split('/').any(|seg| seg == "." || seg == "..") {
            return false;
        }
        current = text;
    }
    // Anything after the path must still be printable ASCII without controls.
    let decoded_all = match percent_decode(target) {
        Some(d) => d,
        None => return false,
    };
    !String::from_utf8_lossy(&decoded_all)
        .chars()
        .any(|c| c.is_control() || (c.is_whitespace() && c != ' '))
}

/// `target` if safe, else `/`.
pub fn sanitize(target: Option<&str>) -> String {
    // A fragment is never sent by a browser: one in return_to is crafted; drop it.
    let target = target.map(|t| t.split('#').next().unwrap_or_default());
    match target {
        Some(t) if is_safe(t) => t.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_paths_ok() {
        for ok in [
            "/",
            "/releases/1.0.0/app.zip",
            "/mypage.html?name=bob",
            "/a?x=https://evil.com",
            "/a%C3%BCb?x=%2F%2F",
            "/deep/link/page?q=1&r=2",
            "/releases/1.0/My%20App.dmg",
            "/releases/My%2520App.dmg",
        ] {
            assert!(is_safe(ok), "{ok}");
            assert_eq!(sanitize(Some(ok)), ok);
        }
    }

    #[test]
    fn open_redirect_payloads_fall_back_to_root() {
        // security catalogue CB-09, field reports B12/B13/B14
        let long = format!("/{}", "a".repeat(9000));
        // the shared list (tests/kit/data/attacks/open_redirect.txt), plus one too long to keep
        let mut payloads = edgegate_test_kit::attacks::open_redirects();
        payloads.push(long);
        for p in &payloads {
            assert_eq!(sanitize(Some(p)), "/", "{p:?}");
        }
        assert_eq!(sanitize(None), "/");
        assert_eq!(sanitize(Some("/a/b.txt#@evil.com")), "/a/b.txt");
    }
}
