//! The cookies the auth function sets and expires.
//!
//! - CloudFront signed cookies: one set per allowed route prefix (nested prefixes collapse to
//!   the outermost), `Path=<prefix>`, host-only (no `Domain`), `Secure; HttpOnly;
//!   SameSite=Lax`, custom policy `Resource = <site origin><prefix>/*` and `DateLessThan` = the
//!   ID token's `exp` (design.md, "Browser session lifecycle"). The Resource ends in `/*`, not
//!   `*`, so a set for `/releases` never covers `/releases-old`.
//! - edgegate's own: the per-flow PKCE cookie and the refresh token (`Path=/auth/`), the loop
//!   marker (`Path=/`, so the gate sees it). `__Secure-` names on https; on plain-http local
//!   development (`edgegate dev`) the `edgegate-dev-` names without `Secure`.
//! - Expiring a cookie repeats the attributes it was set with (same name, `Path`, no `Domain`)
//!   with `Max-Age=0` (field reports B05, B20, B29).

/// How cookies are named and flagged for a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieStyle {
    /// `Secure` attribute and `__Secure-` names (https sites).
    pub secure: bool,
}

impl CookieStyle {
    /// The prefix of edgegate's own cookie names.
    pub fn own_prefix(&self) -> &'static str {
        if self.secure {
            "__Secure-edgegate-"
        } else {
            "edgegate-dev-"
        }
    }

    /// The refresh-token cookie name.
    pub fn refresh(&self) -> String {
        format!("{}refresh", self.own_prefix())
    }

    /// The loop-marker cookie name.
    pub fn loop_marker(&self) -> String {
        format!("{}loop", self.own_prefix())
    }

    /// The restart-marker cookie name (an untrusted callback restarted sign-in once).
    pub fn restart_marker(&self) -> String {
        format!("{}restart", self.own_prefix())
    }

    /// The name prefix of per-flow cookies.
    pub fn flow_prefix(&self) -> String {
        format!("{}flow-", self.own_prefix())
    }

    /// `name=value; Path=..; Max-Age=..; [Secure;] HttpOnly; SameSite=Lax`.
    pub fn set(&self, name: &str, value: &str, path: &str, max_age: u64) -> String {
        format!(
            "{name}={value}; Path={path}; Max-Age={max_age}{}; HttpOnly; SameSite=Lax",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// Expires `name` at `path` (same attributes as when set, `Max-Age=0` and a past `Expires`).
    pub fn expire(&self, name: &str, path: &str) -> String {
        format!(
            "{name}=; Path={path}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{}; HttpOnly; SameSite=Lax",
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// The CloudFront cookie names (with `CloudFront-Expires`, which edgegate never sets but
/// expires, in case a canned set was issued before).
pub const CLOUDFRONT_COOKIES: [&str; 5] = [
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
    "CloudFront-Expires",
];

/// Keeps only the outermost of nested prefixes (`/releases` absorbs `/releases/beta`).
pub fn collapse(prefixes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in prefixes {
        let covered = prefixes
            .iter()
            .any(|q| q != p && edgegate_edge::path::covers(q, p));
        if !covered && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes_secure_httponly_lax() {
        let s = CookieStyle { secure: true };
        let c = s.set("CloudFront-Policy", "abc", "/releases", 600);
        assert_eq!(
            c,
            "CloudFront-Policy=abc; Path=/releases; Max-Age=600; Secure; HttpOnly; SameSite=Lax"
        );
        assert!(!c.contains("Domain"));
        let e = s.expire(&s.refresh(), "/auth/");
        assert!(e.starts_with("__Secure-edgegate-refresh=; Path=/auth/; Max-Age=0;"));
        assert!(e.contains("; Secure; HttpOnly; SameSite=Lax"));
    }

    #[test]
    fn dev_cookies_have_no_secure_prefix() {
        let s = CookieStyle { secure: false };
        assert_eq!(s.loop_marker(), "edgegate-dev-loop");
        assert!(!s.set("a", "b", "/", 1).contains("Secure"));
    }

    #[test]
    fn nested_prefixes_collapse_to_outermost() {
        let p = vec![
            "/releases/beta".to_string(),
            "/releases".to_string(),
            "/docs".to_string(),
            "/releases-old".to_string(),
        ];
        assert_eq!(collapse(&p), vec!["/docs", "/releases", "/releases-old"]);
    }
}
