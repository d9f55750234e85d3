//! The few HTML pages the auth function shows. Everything reflected is HTML-escaped
//! (security catalogue CB-12; field report B15); pages are `no-store` with a restrictive CSP.

pub(crate) use edgegate_edge::text::html_escape as escape;

/// A small page: title, message paragraphs (already escaped by the caller where needed), and
/// links `(href, text)` (escaped here).
pub(crate) fn page(title: &str, paragraphs: &[String], links: &[(String, &str)]) -> String {
    let mut body = format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>", t = escape(title));
    for p in paragraphs {
        body.push_str("<p>");
        body.push_str(p);
        body.push_str("</p>");
    }
    for (href, text) in links {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(href),
            escape(text)
        ));
    }
    body.push_str("</body></html>\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(escape("a\r\nb"), "ab");
    }
}
