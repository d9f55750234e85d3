//! The HTTP surface of the pure core: one `/auth/*` request in ([`AuthRequest`]), one response
//! out ([`Response`]), and the query-string codec both sides use ([`parse_query`],
//! [`form_encode`]).
//!
//! Every response built here carries `Cache-Control: no-store`; HTML pages add a restrictive
//! `Content-Security-Policy` and `X-Content-Type-Options: nosniff`.

/// One `/auth/*` request, borrowed from whatever the shell received (a Lambda function URL
/// event, a local HTTP request).
#[derive(Clone, Debug)]
pub struct AuthRequest<'a> {
    /// The request method, case-sensitive: `GET` and `HEAD` are served, anything else is 405
    /// with `Allow: GET, HEAD`.
    pub method: &'a str,
    /// The raw path, matched exactly (e.g. `/auth/login`; anything unknown is 404).
    pub path: &'a str,
    /// The raw query string without `?` (decoded by [`parse_query`]).
    pub query: &'a str,
    /// Every `Cookie` header value, in order (a function URL event carries them in its
    /// `cookies` array as well as in headers; pass all of them: duplicates are detected).
    pub cookie_headers: Vec<&'a str>,
}

/// A response of the auth function: a 302 (empty body, absolute `Location` built from the
/// configured site origin or Hosted UI) or an HTML page (400, 403, 404, 405, 502, 503).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `(name, value)` headers other than `Set-Cookie`; always `Cache-Control: no-store`
    /// (RFC 9111 §5.2.2.5), so no cache keeps a response that sets cookies.
    pub headers: Vec<(String, String)>,
    /// Complete `Set-Cookie` values (RFC 6265 §4.1), one header each: they must not be folded
    /// into one line (a function URL response takes them as its `cookies` array).
    pub set_cookies: Vec<String>,
    /// UTF-8 HTML, or empty for a redirect.
    pub body: String,
    /// The CloudFront signed cookie sets this response issues, for the audit line (`None`
    /// when it issues none); never sent to the browser.
    pub issued: Option<Issued>,
}

/// The CloudFront signed cookie sets a sign-in issued (one per prefix, all with the same
/// expiry and key): what the audit line records, never a cookie value, signature or policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The ID token's `sub`.
    pub subject: String,
    /// The ID token's `cognito:username`, when present.
    pub username: Option<String>,
    /// The route prefixes a cookie set was issued for (`Path=<prefix>`, `Resource
    /// <site origin><prefix>/*`), sorted.
    pub prefixes: Vec<String>,
    /// The policies' `DateLessThan` (the ID token's `exp`), seconds since the epoch.
    pub expires_at: u64,
    /// The CloudFront key pair id the cookies were signed with.
    pub key_pair_id: String,
    /// How the identity was obtained: `callback` (authorization code) or `refresh` (refresh
    /// token grant).
    pub via: &'static str,
}

impl Response {
    /// A 302 to `location` (an absolute URL).
    pub(crate) fn redirect(location: String, set_cookies: Vec<String>) -> Self {
        Response {
            status: 302,
            headers: vec![
                ("Location".to_string(), location),
                ("Cache-Control".to_string(), "no-store".to_string()),
            ],
            set_cookies,
            body: String::new(),
            issued: None,
        }
    }

    /// An HTML page with the page security headers.
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
            issued: None,
        }
    }

    /// The value of the first header called `name` (ASCII case-insensitive, RFC 9110 §5.1), if
    /// set; `Set-Cookie` is not among them (see [`Response::set_cookies`]).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes one query or form value: every byte outside the RFC 3986 §2.3 unreserved set
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (upper-case hex), a space `%20`. The result is safe as a
/// query parameter and in an `application/x-www-form-urlencoded` body (WHATWG URL Standard §5.1,
/// whose parser decodes `%20` like `+`).
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

/// Parses a query string (without `?`) into `(name, value)` pairs in order, duplicates kept:
/// split on `&`, empty pieces skipped, a piece without `=` is a name with an empty value, `+` is
/// a space and `%XX` is decoded once (RFC 3986 §2.1; `%2B` stays a literal `+`). A pair with a
/// malformed escape or that is not UTF-8 once decoded is dropped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    // `+` is a space in a query (HTML form encoding); `%2B` stays a literal `+`.
    fn decode(s: &str) -> Option<String> {
        edgegate_edge::path::percent_decode_utf8(&s.replace('+', " "))
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
