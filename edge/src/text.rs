//! Small pure text helpers shared by the gate's neighbours (the auth function's pages, the
//! local sign-in stand-in): HTML escaping. No I/O.

/// Escapes `text` for HTML text and double- or single-quoted attribute values: `&` → `&amp;`,
/// `<` → `&lt;`, `>` → `&gt;`, `"` → `&quot;`, `'` → `&#39;` (OWASP XSS prevention rule #1
/// set), and drops control characters (`char::is_control`: C0, DEL, C1), so nothing reflected
/// can break a line or an attribute. Every other character is kept as is.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_html_escaped(&mut out, text);
    out
}

/// [`html_escape`] appending to `out` (no string of its own: the gate's pages render into one).
pub fn push_html_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_markup_characters() {
        assert_eq!(
            html_escape("<a href=\"x\" title='y'>&amp;</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn drops_control_characters() {
        assert_eq!(html_escape("a\r\nb\tc\u{0}d\u{7f}e\u{85}f"), "abcdef");
    }

    #[test]
    fn keeps_everything_else() {
        let plain = "downloaders, staff: /releases?x=1&#; caf\u{e9} \u{1f511} %3C";
        assert_eq!(html_escape(""), "");
        assert_eq!(html_escape(plain), plain.replace('&', "&amp;"));
    }
}
