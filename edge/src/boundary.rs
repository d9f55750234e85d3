//! The narrow boundary between the Node.js handler and the wasm gate.
//!
//! The handler does not serialise the event. It sends only what [`crate::gate`] reads, as one
//! *frame*, and gets back one *verdict* that it applies to the original request object in place,
//! so every member and header the gate does not touch (and every original-case header key) is
//! forwarded exactly as CloudFront sent it.
//!
//! # Frame (handler → gate)
//!
//! `text`, the fields concatenated (UTF-8), and `lens`, a table of lengths in UTF-16 code units
//! (JavaScript's `string.length`):
//!
//! ```text
//! lens = [len(method), len(uri), len(querystring), len(clientIp),
//!         for each name of READ_HEADERS, in order:
//!           0                  the header is absent
//!           k + 1, len(v1)..   the header is present with k entries v1..vk (in event order)]
//! text = method uri querystring clientIp v1 .. vk ..   (no separators)
//! ```
//!
//! Every entry of a header is sent (two `authorization` entries stay two; several `cookie`
//! entries are all read), and lengths make it unambiguous whatever the values contain.
//!
//! # Verdict (gate → handler)
//!
//! One string: a meta line, `\n`, then a payload of strings whose UTF-16 lengths the meta line
//! gives, consumed in order:
//!
//! ```text
//! <decision>\t<status>\t<reason>\t<detail>\t<route>[\t<op>]*\n<payload>
//! ```
//!
//! `decision` is `allow`, `deny` or `redirect`; `route` is empty when no route matched. These
//! are the log fields: static identifiers and a validated route prefix, never a credential. Ops:
//!
//! | op | payload | meaning |
//! |---|---|---|
//! | `r<n>` | response JSON | answer with this CloudFront response (deny, redirect) |
//! | `d<n>` | header name | delete the header |
//! | `h<n>` | header name | replace the header with the `e` entries that follow (maybe none) |
//! | `e<k>:<n>` | key, value | one entry of the last `h`; `k` empty: no `key` member |
//! | `f<field>:<n>` | value | set the request member `field` (`uri`, `querystring`, ...) |
//! | `s*` | | the same frame, from any `clientIp`, gets this same verdict at any time ([`Stability::Always`]) |
//! | `s<from>-<until>` | | ... at any `now` (seconds) with `from <= now < until` ([`Stability::Between`]), from this `clientIp` only (`s0-18446744073709551615`: a route with networks, at any time) |
//!
//! Without an `s` op the verdict holds for this request only ([`Stability::Never`]). The
//! handler memoises a verdict that has one, keyed by the exact frame (`text` and `lens`) but for
//! `clientIp`, which a `Between` entry must match and an `Always` entry ignores, and applies it
//! again to a later request with the same frame in its window without calling the gate; it
//! drops the memo whenever it rebuilds the gate.
//!
//! An allow carries the difference between the request the gate saw and the request it
//! forwards ([`Decision::Allow`]), so whatever the gate strips or rewrites (the `Authorization`
//! header, the `Cookie` header, the signing query parameters) reaches the original object.

use crate::event::{CfResponse, HeaderEntry, Headers, ViewerRequest};
use crate::gate::{Decision, Denial, Detail, Reason, Stability};

/// Every request header the gate reads or rewrites (lowercase), in frame order. Headers not
/// listed never cross the boundary and are forwarded untouched.
pub const READ_HEADERS: [&str; 5] = [
    "host",
    "authorization",
    "cookie",
    "accept",
    "sec-fetch-mode",
];

/// A frame that does not describe a request (lengths that do not add up, a length that ends
/// inside a character, a truncated table). The handler answers 503 (`event_shape`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadFrame;

/// Length of `s` in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// The next `units` UTF-16 code units of `text` from byte `*pos` (advancing it); `ascii` says
/// `text` is ASCII, where units are bytes.
fn take<'a>(
    text: &'a str,
    ascii: bool,
    pos: &mut usize,
    units: usize,
) -> Result<&'a str, BadFrame> {
    let rest = text.get(*pos..).ok_or(BadFrame)?;
    let bytes = if ascii {
        units
    } else {
        let mut seen = 0;
        let mut end = 0;
        for c in rest.chars() {
            if seen >= units {
                break;
            }
            seen += c.len_utf16();
            end += c.len_utf8();
        }
        if seen != units {
            return Err(BadFrame);
        }
        end
    };
    let s = rest.get(..bytes).ok_or(BadFrame)?;
    *pos += bytes;
    Ok(s)
}

struct Reader<'a> {
    text: &'a str,
    ascii: bool,
    pos: usize,
    lens: std::slice::Iter<'a, u32>,
}

impl<'a> Reader<'a> {
    fn number(&mut self) -> Result<u32, BadFrame> {
        self.lens.next().copied().ok_or(BadFrame)
    }

    /// The next string of the frame.
    fn string(&mut self) -> Result<&'a str, BadFrame> {
        let units = self.number()? as usize;
        take(self.text, self.ascii, &mut self.pos, units)
    }
}

/// Rebuilds the request the gate sees from a frame (see the module docs). Only
/// [`READ_HEADERS`] are present; entries have no `key`.
pub fn request_from_frame(text: &str, lens: &[u32]) -> Result<ViewerRequest, BadFrame> {
    let mut r = Reader {
        text,
        ascii: text.is_ascii(),
        pos: 0,
        lens: lens.iter(),
    };
    let method = r.string()?.to_string();
    let uri = r.string()?.to_string();
    let querystring = r.string()?.to_string();
    let client_ip = r.string()?.to_string();
    let mut headers = Headers::new();
    for name in READ_HEADERS {
        let count = match r.number()? {
            0 => continue,
            n => n - 1,
        };
        // Bounded by the table, not by the claimed count.
        let mut entries = Vec::with_capacity((count as usize).min(r.lens.len()));
        for _ in 0..count {
            entries.push(HeaderEntry {
                key: None,
                value: r.string()?.to_string(),
            });
        }
        headers.insert(name.to_string(), entries);
    }
    if r.lens.next().is_some() || r.pos != text.len() {
        return Err(BadFrame);
    }
    Ok(ViewerRequest {
        client_ip,
        method,
        uri,
        querystring,
        headers,
        other: Default::default(),
    })
}

/// Encodes the frame for `req`, as the Node.js handler does (for tests and tools).
pub fn frame_of(req: &ViewerRequest) -> (String, Vec<u32>) {
    fn len(s: &str) -> u32 {
        u32::try_from(utf16_len(s)).unwrap_or(u32::MAX)
    }
    let mut text = String::new();
    let mut lens = Vec::new();
    for field in [&req.method, &req.uri, &req.querystring, &req.client_ip] {
        text.push_str(field);
        lens.push(len(field));
    }
    for name in READ_HEADERS {
        match req.headers.get(name) {
            None => lens.push(0),
            Some(entries) => {
                lens.push(u32::try_from(entries.len() + 1).unwrap_or(u32::MAX));
                for entry in entries {
                    text.push_str(&entry.value);
                    lens.push(len(&entry.value));
                }
            }
        }
    }
    (text, lens)
}

struct Verdict {
    meta: String,
    payload: String,
}

/// [`utf16_len`] as a `u64` (for [`push_number`]).
fn units(s: &str) -> u64 {
    u64::try_from(utf16_len(s)).unwrap_or(u64::MAX)
}

/// Appends `n` in decimal (the hot path avoids `core::fmt`).
fn push_number(out: &mut String, n: impl Into<u64>) {
    let mut n: u64 = n.into();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for d in digits.iter().skip(at) {
        out.push(char::from(*d));
    }
}

impl Verdict {
    fn new(decision: &Decision) -> Self {
        let mut meta = String::with_capacity(96);
        meta.push_str(decision.kind());
        meta.push('\t');
        push_number(&mut meta, decision.status());
        for field in [
            decision.reason().as_str(),
            decision.detail(),
            decision.route().unwrap_or(""),
        ] {
            meta.push('\t');
            meta.push_str(field);
        }
        Verdict {
            meta,
            payload: String::new(),
        }
    }

    /// Adds op `code` with `prefix` before the payload length, and `value` to the payload.
    fn op(&mut self, code: char, prefix: &str, value: &str) {
        self.meta.push('\t');
        self.meta.push(code);
        self.meta.push_str(prefix);
        push_number(&mut self.meta, units(value));
        self.payload.push_str(value);
    }

    fn entry(&mut self, entry: &HeaderEntry) {
        self.meta.push_str("\te");
        if let Some(k) = &entry.key {
            push_number(&mut self.meta, units(k));
            self.payload.push_str(k);
        }
        self.meta.push(':');
        push_number(&mut self.meta, units(&entry.value));
        self.payload.push_str(&entry.value);
    }

    fn finish(mut self) -> String {
        self.meta.push('\n');
        self.meta.push_str(&self.payload);
        self.meta
    }
}

/// The verdict for `decision`, made on `sent` (the request rebuilt from the frame); `stable` is
/// [`Decision::stability`] (written as the `s` op).
pub fn encode_verdict(decision: &Decision, sent: &ViewerRequest, stable: Stability) -> String {
    let plain = |f: &str| !f.contains(['\t', '\n']);
    if !(plain(decision.detail()) && plain(decision.route().unwrap_or(""))) {
        // The log fields are static identifiers and a validated route prefix; anything else
        // would break the meta line.
        return unavailable(Detail::Boundary);
    }
    let mut v = Verdict::new(decision);
    match stable {
        Stability::Always => v.meta.push_str("\ts*"),
        Stability::Between { from, until } => {
            v.meta.push_str("\ts");
            push_number(&mut v.meta, from);
            v.meta.push('-');
            push_number(&mut v.meta, until);
        }
        Stability::Never => {}
    }
    match decision {
        Decision::Allow(forward) => {
            let out = &forward.request;
            if !out.other.is_empty() {
                // The gate added a member the boundary cannot carry: refuse rather than drop it.
                return unavailable(Detail::Boundary);
            }
            let fields: [(&str, &str, &str); 4] = [
                ("clientIp", &sent.client_ip, &out.client_ip),
                ("method", &sent.method, &out.method),
                ("uri", &sent.uri, &out.uri),
                ("querystring", &sent.querystring, &out.querystring),
            ];
            for (name, before, after) in fields {
                if before != after {
                    v.op('f', &[name, ":"].concat(), after);
                }
            }
            for name in sent.headers.keys() {
                if !out.headers.contains_key(name) {
                    v.op('d', "", name);
                }
            }
            for (name, entries) in &out.headers {
                if sent.headers.get(name) != Some(entries) {
                    v.op('h', "", name);
                    for entry in entries {
                        v.entry(entry);
                    }
                }
            }
        }
        Decision::Deny(denial) => v.op('r', "", &response_json(&denial.to_response())),
        Decision::Redirect(redirect) => v.op('r', "", &response_json(&redirect.to_response())),
    }
    v.finish()
}

/// The response as JSON, byte for byte what `serde_json::to_string` gives (tested below), written
/// directly: serde's generic path was most of a denial's time in the gate.
pub(crate) fn response_json(response: &CfResponse) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("{\"status\":");
    push_json_str(&mut out, &response.status);
    out.push_str(",\"statusDescription\":");
    push_json_str(&mut out, &response.status_description);
    out.push_str(",\"headers\":{");
    for (i, (name, entries)) in response.headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, name);
        out.push_str(":[");
        for (j, entry) in entries.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push('{');
            if let Some(key) = &entry.key {
                out.push_str("\"key\":");
                push_json_str(&mut out, key);
                out.push(',');
            }
            out.push_str("\"value\":");
            push_json_str(&mut out, &entry.value);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    if let Some(body) = &response.body {
        out.push_str(",\"body\":");
        push_json_str(&mut out, body);
    }
    out.push('}');
    out
}

/// A JSON string literal, escaped as serde_json escapes: `"`, `\\` and the C0 controls (short
/// forms where JSON has them, else `\u00xx` in lowercase hex); everything else as is.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if short.is_empty() {
            out.push_str("\\u00");
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// A 503 `unavailable` verdict (fail closed) with this log detail.
pub fn unavailable(detail: Detail) -> String {
    let decision = Decision::Deny(Denial {
        status: 503,
        reason: Reason::Unavailable,
        detail,
        route: None,
        identity: None,
        rule: None,
        www_authenticate: None,
        page: None,
    });
    let nothing = ViewerRequest {
        client_ip: String::new(),
        method: String::new(),
        uri: String::new(),
        querystring: String::new(),
        headers: Headers::new(),
        other: Default::default(),
    };
    encode_verdict(&decision, &nothing, Stability::Never)
}

/// A verdict as the handler reads it: the log fields and, for a deny or redirect, the response.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// `allow`, `deny` or `redirect`.
    pub decision: String,
    /// HTTP status (200 for an allow).
    pub status: u16,
    /// Reason code.
    pub reason: String,
    /// Detail code.
    pub detail: String,
    /// The matched route prefix.
    pub route: Option<String>,
    /// The generated response; `None`: forward the (edited) request.
    pub response: Option<CfResponse>,
    /// When the same frame gets the same verdict (the `s` op; [`Stability::Never`] without).
    pub stable: Stability,
}

/// Applies a verdict to the original `request` in place, as the Node.js handler does (the Rust
/// mirror of its `apply`, for tests and tools).
pub fn apply_verdict(verdict: &str, request: &mut ViewerRequest) -> Result<Applied, BadFrame> {
    fn number(s: &str) -> Result<usize, BadFrame> {
        s.parse().map_err(|_| BadFrame)
    }
    let (meta, payload) = verdict.split_once('\n').ok_or(BadFrame)?;
    let ascii = payload.is_ascii();
    let mut pos = 0;
    let mut fields = meta.split('\t');
    let mut field = || fields.next().ok_or(BadFrame);
    let decision = field()?.to_string();
    let status = field()?.parse().map_err(|_| BadFrame)?;
    let reason = field()?.to_string();
    let detail = field()?.to_string();
    let route = Some(field()?).filter(|r| !r.is_empty()).map(str::to_string);
    let mut response = None;
    let mut stable = Stability::Never;
    let mut current: Option<String> = None;
    for op in fields {
        let mut chars = op.chars();
        let code = chars.next().ok_or(BadFrame)?;
        let rest = chars.as_str();
        match code {
            'r' => {
                let json = take(payload, ascii, &mut pos, number(rest)?)?;
                response = Some(serde_json::from_str(json).map_err(|_| BadFrame)?);
            }
            'd' => {
                request
                    .headers
                    .remove(take(payload, ascii, &mut pos, number(rest)?)?);
            }
            'h' => {
                let name = take(payload, ascii, &mut pos, number(rest)?)?.to_string();
                request.headers.insert(name.clone(), Vec::new());
                current = Some(name);
            }
            'e' => {
                let (k, n) = rest.split_once(':').ok_or(BadFrame)?;
                let key = match k {
                    "" => None,
                    k => Some(take(payload, ascii, &mut pos, number(k)?)?.to_string()),
                };
                let value = take(payload, ascii, &mut pos, number(n)?)?.to_string();
                let name = current.as_ref().ok_or(BadFrame)?;
                request
                    .headers
                    .get_mut(name)
                    .ok_or(BadFrame)?
                    .push(HeaderEntry { key, value });
            }
            'f' => {
                let (name, n) = rest.split_once(':').ok_or(BadFrame)?;
                let value = take(payload, ascii, &mut pos, number(n)?)?.to_string();
                match name {
                    "clientIp" => request.client_ip = value,
                    "method" => request.method = value,
                    "uri" => request.uri = value,
                    "querystring" => request.querystring = value,
                    _ => return Err(BadFrame),
                }
            }
            's' if rest == "*" => stable = Stability::Always,
            's' => {
                let (from, until) = rest.split_once('-').ok_or(BadFrame)?;
                stable = Stability::Between {
                    from: from.parse().map_err(|_| BadFrame)?,
                    until: until.parse().map_err(|_| BadFrame)?,
                };
            }
            _ => return Err(BadFrame),
        }
    }
    if pos != payload.len() {
        return Err(BadFrame);
    }
    Ok(Applied {
        decision,
        status,
        reason,
        detail,
        route,
        response,
        stable,
    })
}

#[cfg(test)]
mod tests {
    use super::response_json;
    use crate::event::{CfResponse, HeaderEntry, Headers};

    /// The hand-written JSON is serde_json's, whatever the strings hold.
    #[test]
    fn response_json_matches_serde_json() {
        let awkward: String = (0u8..0x80).map(char::from).collect::<String>() + "é😀\u{2028}\u{7f}";
        for body in [
            None,
            Some(String::new()),
            Some("denied\n".to_string()),
            Some(awkward.clone()),
        ] {
            for key in [
                None,
                Some("Cache-Control".to_string()),
                Some(awkward.clone()),
            ] {
                let mut headers = Headers::new();
                for name in ["cache-control", "www-authenticate", "x-\"odd\\"] {
                    headers.insert(
                        name.to_string(),
                        vec![
                            HeaderEntry {
                                key: key.clone(),
                                value: "no-store".into(),
                            },
                            HeaderEntry {
                                key: None,
                                value: awkward.clone(),
                            },
                        ],
                    );
                }
                headers.insert("empty".into(), Vec::new());
                for headers in [Headers::new(), headers] {
                    let response = CfResponse {
                        status: "401".into(),
                        status_description: awkward.clone(),
                        headers,
                        body: body.clone(),
                    };
                    assert_eq!(
                        response_json(&response),
                        serde_json::to_string(&response).unwrap()
                    );
                }
            }
        }
    }
}
