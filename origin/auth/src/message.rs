//! The HTTP surface of the pure core: one `/auth/*` request in ([`AuthRequest`]), one response
//! out ([`Response`]), and the query-string codec both sides use ([`parse_query`],
//! [`form_encode`]).
//!
//! Every response built here carries `Cache-Control: no-store`; HTML pages add a restrictive
//! `Content-Security-Policy` and `X-Content-Type-Options: nosniff`.

/// One `/auth/*` request.
#[derive(Clone, Debug)]
pub struct AuthRequest<'a> {
    /// `GET` or `HEAD` (others are refused).
    pub method: &'a str,
    /// The raw path, e.g. `/auth/login`.
    pub path: &'a str,
    /// The raw query string without `?`.
    pub query: &'a str,
    /// Every `Cookie` header value.
    pub cookie_headers: Vec<&'a str>,
}

/// A response of the auth function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers other than `Set-Cookie`.
    pub headers: Vec<(String, String)>,
    /// One entry per `Set-Cookie`.
    pub set_cookies: Vec<String>,
    /// Body (HTML or empty).
    pub body: String,
}

impl Response {
    pub(crate) fn redirect(location: String, set_cookies: Vec<String>) -> Self {
        Response {
            status: 302,
            headers: vec![
                ("Location".to_string(), location),
                ("Cache-Control".to_string(), "no-store".to_string()),
            ],
            set_cookies,
            body: String::new(),
        }
    }

    pub(crate) fn html(status: u16, body: String, set_cookies: Vec<String>) -> Self {
        Response {
            status,
            headers: vec![
                (
                    "Content-Type".to_string(),
                    "text/html; charset=utf-8".to_string(),
                ),
                ("Cache-Control".to_string(), "no-store".to_string()),
                (
                    "Content-Security-Policy".to_string(),
                    "default-src 'none'; frame-ancestors 'none'".to_string(),
                ),
                ("X-Content-Type-Options".to_string(), "nosniff".to_string()),
            ],
            set_cookies,
            body,
        }
    }

    /// The value of a header, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `application/x-www-form-urlencoded` / query encoding of one value (everything but
/// unreserved characters percent-encoded).
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses a query string (`+` is a space, `%XX` decoded). Pairs that fail to decode are dropped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    // `+` is a space in a query (HTML form encoding); `%2B` stays a literal `+`.
    fn decode(s: &str) -> Option<String> {
        String::from_utf8(edgegate_edge::path::percent_decode(&s.replace('+', " "))?).ok()
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(n)?, decode(v)?))
        })
        .collect()
}

/// The single value of `name`; `None` when absent or repeated.
pub(crate) fn single<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    let mut it = query.iter().filter(|(n, _)| n == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        _ => None,
    }
}
