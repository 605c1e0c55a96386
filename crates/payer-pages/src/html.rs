//! [`Html`]: a string builder in which text can only enter escaped.
//!
//! Hand-written rather than a template crate (maud): the pages are small, the builder is the
//! whole template language (about 60 lines), and it adds no proc-macro crates to the
//! gateway's build. The rule that keeps it safe is in the types: markup enters only as
//! `&'static str` (literals written in this crate), every runtime value goes through
//! [`Html::text`] or [`Html::attr`], which escape it.

use std::fmt::Write as _;

/// HTML under construction. Its markup comes only from string literals; everything else is
/// escaped on the way in.
#[derive(Default)]
pub struct Html {
    buf: String,
}

impl Html {
    pub fn new() -> Html {
        Html::default()
    }

    /// Appends markup written in this crate (a literal: runtime strings cannot be passed).
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.buf.push_str(markup);
        self
    }

    /// Appends text, escaped for element content.
    pub fn text(&mut self, text: &str) -> &mut Html {
        escape_into(&mut self.buf, text);
        self
    }

    /// Appends ` name="value"` with the value escaped for a double-quoted attribute.
    pub fn attr(&mut self, name: &'static str, value: &str) -> &mut Html {
        let _ = write!(self.buf, " {name}=\"");
        escape_into(&mut self.buf, value);
        self.buf.push('"');
        self
    }

    /// Appends another fragment (already built under the same rules).
    pub fn fragment(&mut self, other: Html) -> &mut Html {
        self.buf.push_str(&other.buf);
        self
    }

    /// The finished markup.
    pub fn into_string(self) -> String {
        self.buf
    }

    /// The markup so far (for tests and for embedding).
    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'`: safe in element content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut h = Html::new();
        h.raw("<p").attr("title", "\"><script>x</script>").raw(">");
        h.text("<img src=x onerror=alert(1)> & 'q'").raw("</p>");
        assert_eq!(
            h.into_string(),
            "<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">\
             &lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;</p>"
        );
    }
}
