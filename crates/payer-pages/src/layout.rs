//! The document every payer page shares: `<html lang>`, a viewport for phones, one inline
//! stylesheet under the response's nonce (no external asset), a `<main>` with the page's
//! `<h1>`, and a footer.
//!
//! The stylesheet is mobile-first and readable at 320 px: one column, 16 px text, 48 px tall
//! buttons. Colours keep a contrast of at least 4.5:1 on their background (text #1a1a1a on
//! white 17:1, muted #4a4a4a on #f4f5f7 8:1, white on button blue #0b57d0 6:1), and every
//! focusable element shows a 3 px ring when focused from the keyboard.

use crate::html::Html;
use crate::i18n::Msg;
use crate::security::{Connect, FormOrigin, page_headers};
use crate::{Page, PageContext};

/// The one stylesheet (inline, nonce'd).
const CSS: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;background:#f4f5f7;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,\"Apple SD Gothic Neo\",\"Noto Sans KR\",\"Malgun Gothic\",sans-serif;word-break:keep-all;overflow-wrap:anywhere}\
main{background:#fff;max-width:30rem;margin:0 auto;padding:1.25rem 1rem 1.5rem}\
@media (min-width:36rem){main{margin:2rem auto;border-radius:12px;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.18)}}\
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1rem}\
h2{font-size:1.125rem;margin:1.25rem 0 .5rem}\
p{margin:0 0 1rem}\
a{color:#0b57d0}\
.notice{border-left:4px solid #0b57d0;background:#f4f5f7;padding:.75rem 1rem;margin:0 0 1.25rem}\
.notice p{margin:0}\
.notice-success{border-color:#146c2e}\
.notice-error{border-color:#b3261e}\
.summary{display:grid;grid-template-columns:auto 1fr;align-items:baseline;gap:.5rem 1rem;margin:0 0 1.5rem}\
.summary dt{color:#4a4a4a}\
.summary dd{margin:0;font-weight:600;text-align:right}\
.summary .amount{font-size:1.25rem}\
.button{display:block;width:100%;min-height:48px;margin:0 0 .75rem;padding:.75rem 1rem;border:0;border-radius:8px;background:#0b57d0;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}\
.button:hover{background:#0842a0}\
.button-secondary{background:#fff;color:#0b57d0;border:2px solid #0b57d0}\
.button-secondary:hover{background:#eef3fc}\
:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}\
[hidden]{display:none!important}\
label{display:block;font-weight:600;margin:1rem 0 .25rem}\
input{display:block;width:100%;min-height:48px;margin:0 0 .25rem;padding:.5rem .75rem;border:1px solid #5f6368;border-radius:8px;background:#fff;color:#1a1a1a;font:inherit}\
input[type=radio]{display:inline-block;width:1.25rem;min-height:1.25rem;margin:0 .5rem 0 0;vertical-align:middle}\
fieldset{border:1px solid #5f6368;border-radius:8px;margin:1rem 0 0;padding:.5rem 1rem}\
fieldset label{font-weight:400;margin:.5rem 0}\
select{font:inherit;min-height:48px;width:100%}\
summary{cursor:pointer;font-weight:600;margin:1.5rem 0 .5rem}\
.hint{color:#4a4a4a;font-size:.875rem;margin:0 0 .5rem}\
form button[type=submit]{margin-top:1.5rem}\
.fields{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem}\
.pin-pad{display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem;margin:.5rem 0 0}\
.pin-pad button{min-height:48px;border:1px solid #5f6368;border-radius:8px;background:#fff;color:#1a1a1a;font:inherit;font-size:1.25rem;cursor:pointer}\
.pin-pad button:hover{background:#eef3fc}\
footer{color:#4a4a4a;font-size:.875rem;text-align:center;padding:1rem}\
footer p{margin:0}\
";

impl Page {
    /// A whole page: the layout around `body`, with the headers for `ctx`'s nonce and
    /// forms allowed to post to `form_action` only.
    pub fn render(
        ctx: &PageContext,
        status: u16,
        title: &str,
        body: Html,
        form_action: &[FormOrigin],
    ) -> Page {
        Page::render_with(ctx, status, title, body, form_action, Connect::Nothing)
    }

    /// As [`Page::render`], with the page's script allowed to make the requests `connect`
    /// names (a page that runs a client in the browser, like the ISP page).
    pub fn render_with(
        ctx: &PageContext,
        status: u16,
        title: &str,
        body: Html,
        form_action: &[FormOrigin],
        connect: Connect,
    ) -> Page {
        let mut h = Html::new();
        h.raw("<!doctype html><html")
            .attr("lang", ctx.locale.tag())
            .raw("><head><meta charset=\"utf-8\">")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .raw("<meta name=\"referrer\" content=\"no-referrer\">")
            .raw("<title>")
            .text(title)
            .raw(" · paygate</title><style")
            .attr("nonce", ctx.nonce.as_str())
            .raw(">")
            .raw(CSS)
            .raw("</style></head><body><main><h1>")
            .text(title)
            .raw("</h1>")
            .fragment(body)
            .raw("</main><footer><p>")
            .text(Msg::PoweredBy.text(ctx.locale))
            .raw("</p></footer></body></html>");
        Page {
            status,
            html: h.into_string(),
            headers: page_headers(&ctx.nonce, form_action, connect, ctx.locale.tag()),
        }
    }

    /// Lets the page load images from `origin` too (a merchant's logo): `img-src` names it.
    pub fn allow_images_from(&mut self, origin: &FormOrigin) {
        for (name, value) in &mut self.headers {
            if *name == "content-security-policy" {
                *value = value.replacen(
                    "img-src 'self' data:;",
                    &format!("img-src 'self' data: {};", origin.as_str()),
                    1,
                );
            }
        }
    }
}
