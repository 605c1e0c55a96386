//! The response headers every payer page carries: a Content-Security-Policy that allows only
//! this response's inline style and script (by a fresh [`Nonce`]) and forms posting to the
//! origins the page names ([`FormOrigin`]), plus no-sniff, no-referrer and no-store.

use base64::Engine;

/// Random bytes in a nonce (128 bits, as the CSP spec recommends at least).
const NONCE_BYTES: usize = 16;

/// A per-response CSP nonce: 16 random bytes, base64. Made fresh for every page, never reused.
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// A new random nonce. Panics only if the operating system has no randomness, in which
    /// case nothing secure can be served at all.
    pub fn generate() -> Nonce {
        let mut b = [0u8; NONCE_BYTES];
        getrandom::fill(&mut b).expect("the operating system's random source works");
        Nonce(base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nonce(..)")
    }
}

/// The origin (`scheme://host[:port]`) a form on a page may post to, from an absolute
/// http(s) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormOrigin(String);

/// Why a URL cannot be used as a form target or a return address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("{field} must be an absolute URL: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{field} must use http or https, not {scheme}")]
    Scheme { field: &'static str, scheme: String },
}

/// An absolute http or https URL: the only kind a page links to, posts to or returns to (no
/// `javascript:`, `data:` or relative URLs reach an `href` or `action`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebUrl(url::Url);

impl WebUrl {
    /// Parses `raw`; `field` names it in the error.
    pub fn parse(field: &'static str, raw: &str) -> Result<WebUrl, UrlError> {
        let u = url::Url::parse(raw).map_err(|e| UrlError::Invalid {
            field,
            reason: e.to_string(),
        })?;
        match u.scheme() {
            "http" | "https" => Ok(WebUrl(u)),
            s => Err(UrlError::Scheme {
                field,
                scheme: s.chars().take(16).collect(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(crate) fn url(&self) -> &url::Url {
        &self.0
    }

    pub(crate) fn from_url(u: url::Url) -> WebUrl {
        WebUrl(u)
    }
}

impl std::fmt::Display for WebUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl FormOrigin {
    /// The origin of `url`.
    pub fn of(url: &WebUrl) -> FormOrigin {
        FormOrigin(url.url().origin().ascii_serialization())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a page's script may call back to the gateway (`fetch`): `connect-src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connect {
    /// No request from script at all (`default-src 'none'` applies): every page but those
    /// that run a client in the browser.
    Nothing,
    /// Same-origin requests only (`connect-src 'self'`): the ISP page's script, which talks
    /// to the gateway's `/pay/isp/…` helpers.
    SameOrigin,
}

/// The `Content-Security-Policy` value: nothing loads but this response's nonce'd inline
/// style and script (a nonce'd `<script src>` of the gateway included) and `data:`/same-origin
/// images; scripts connect nowhere, or to the same origin ([`Connect`]); forms may post only
/// to `form_action` (`'none'` when empty); no framing, no `<base>`.
pub fn content_security_policy(
    nonce: &Nonce,
    form_action: &[FormOrigin],
    connect: Connect,
) -> String {
    let n = nonce.as_str();
    let actions = if form_action.is_empty() {
        "'none'".to_string()
    } else {
        form_action
            .iter()
            .map(FormOrigin::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let connect = match connect {
        Connect::Nothing => "",
        Connect::SameOrigin => " connect-src 'self';",
    };
    format!(
        "default-src 'none'; style-src 'nonce-{n}'; script-src 'nonce-{n}'; img-src 'self' data:;{connect} \
         form-action {actions}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Compares a secret the browser gave (a `client_secret` in the URL) with the stored one in
/// time that does not depend on where they differ.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Every header of a payer page (`Content-Type` and `Content-Language` included).
pub fn page_headers(
    nonce: &Nonce,
    form_action: &[FormOrigin],
    connect: Connect,
    lang: &'static str,
) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "text/html; charset=utf-8".into()),
        (
            "content-security-policy",
            content_security_policy(nonce, form_action, connect),
        ),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "no-referrer".into()),
        ("cache-control", "no-store".into()),
        ("content-language", lang.into()),
        ("vary", "Accept-Language".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_base64_of_sixteen_bytes() {
        let (a, b) = (Nonce::generate(), Nonce::generate());
        assert_ne!(a, b);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.as_str())
            .unwrap();
        assert_eq!(raw.len(), NONCE_BYTES);
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn the_policy_names_the_nonce_and_the_form_origins_only() {
        let n = Nonce::generate();
        let acs = WebUrl::parse("action", "https://acs.example:8443/challenge?x=1").unwrap();
        let csp = content_security_policy(&n, &[FormOrigin::of(&acs)], Connect::Nothing);
        assert!(csp.starts_with("default-src 'none'; "), "{csp}");
        assert!(csp.contains(&format!("script-src 'nonce-{}'", n.as_str())));
        assert!(csp.contains(&format!("style-src 'nonce-{}'", n.as_str())));
        assert!(
            csp.contains("form-action https://acs.example:8443;"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("base-uri 'none'"));
        assert!(content_security_policy(&n, &[], Connect::Nothing).contains("form-action 'none'"));
        assert!(!csp.contains("connect-src"), "{csp}");
        let app = content_security_policy(&n, &[], Connect::SameOrigin);
        assert!(
            app.contains("img-src 'self' data:; connect-src 'self'; form-action 'none'"),
            "{app}"
        );
    }

    #[test]
    fn secrets_match_only_when_equal_and_never_when_empty() {
        assert!(secrets_match("pi_1_secret_abc", "pi_1_secret_abc"));
        assert!(!secrets_match("pi_1_secret_abd", "pi_1_secret_abc"));
        assert!(!secrets_match("pi_1_secret_ab", "pi_1_secret_abc"));
        assert!(!secrets_match("", ""));
    }

    #[test]
    fn only_absolute_web_urls_are_accepted() {
        assert!(WebUrl::parse("return_url", "javascript:alert(1)").is_err());
        assert!(WebUrl::parse("return_url", "/relative").is_err());
        assert!(WebUrl::parse("return_url", "data:text/html,x").is_err());
        assert!(WebUrl::parse("return_url", "https://shop.example/done").is_ok());
    }
}
