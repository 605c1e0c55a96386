//! Where the payer goes back to the shop: the merchant's `return_url` with Stripe's three
//! parameters added — `payment_intent`, `payment_intent_client_secret` and
//! `redirect_status` (for a SetupIntent: `setup_intent`, `setup_intent_client_secret`,
//! `redirect_status`) — as Stripe.js's `handleNextAction` and hosted pages do.

use crate::security::{UrlError, WebUrl};

/// The `redirect_status` the shop reads on its return page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectStatus {
    Succeeded,
    Failed,
    RequiresAction,
}

impl RedirectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectStatus::Succeeded => "succeeded",
            RedirectStatus::Failed => "failed",
            RedirectStatus::RequiresAction => "requires_action",
        }
    }
}

/// Parameters this module owns: any the merchant's URL already carries are replaced.
const OWNED: [&str; 5] = [
    "payment_intent",
    "payment_intent_client_secret",
    "setup_intent",
    "setup_intent_client_secret",
    "redirect_status",
];

/// `return_url` with the intent's parameters merged into its query: the merchant's own
/// parameters stay in order, ours are appended percent-encoded (replacing stale copies of
/// them), a fragment stays at the end. `return_url` must be an absolute http(s) URL.
pub fn return_url(
    return_url: &str,
    payment_intent: &str,
    client_secret: &str,
    status: RedirectStatus,
) -> Result<WebUrl, UrlError> {
    with_params(
        return_url,
        "payment_intent",
        payment_intent,
        client_secret,
        status,
    )
}

/// [`return_url`] for a SetupIntent (`setup_intent`, `setup_intent_client_secret`).
pub fn setup_return_url(
    return_url: &str,
    setup_intent: &str,
    client_secret: &str,
    status: RedirectStatus,
) -> Result<WebUrl, UrlError> {
    with_params(
        return_url,
        "setup_intent",
        setup_intent,
        client_secret,
        status,
    )
}

fn with_params(
    return_url: &str,
    object: &str,
    id: &str,
    client_secret: &str,
    status: RedirectStatus,
) -> Result<WebUrl, UrlError> {
    let mut url = WebUrl::parse("return_url", return_url)?.url().clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !OWNED.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(object, id);
        q.append_pair(&format!("{object}_client_secret"), client_secret);
        q.append_pair("redirect_status", status.as_str());
    }
    Ok(WebUrl::from_url(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_intent_returns_with_its_own_parameters() {
        let u = setup_return_url(
            "https://shop.example/saved?setup_intent=old&x=1",
            "seti_1",
            "seti_1_secret_a",
            RedirectStatus::Succeeded,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://shop.example/saved?x=1&setup_intent=seti_1\
             &setup_intent_client_secret=seti_1_secret_a&redirect_status=succeeded"
        );
    }

    #[test]
    fn parameters_are_appended_to_a_url_without_a_query() {
        let u = return_url(
            "https://shop.example/done",
            "pi_1",
            "pi_1_secret_abc",
            RedirectStatus::Succeeded,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://shop.example/done?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_abc&redirect_status=succeeded"
        );
    }

    #[test]
    fn an_existing_query_and_fragment_are_kept_and_stale_parameters_replaced() {
        let u = return_url(
            "https://shop.example/r?order=42&note=a%20b&redirect_status=forged#top",
            "pi_2",
            "pi_2_secret_x",
            RedirectStatus::Failed,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://shop.example/r?order=42&note=a+b&payment_intent=pi_2\
             &payment_intent_client_secret=pi_2_secret_x&redirect_status=failed#top"
        );
    }

    #[test]
    fn values_are_percent_encoded() {
        let u = return_url(
            "http://127.0.0.1:3000/back?x=1",
            "pi_3&evil=1",
            "s e/c+r=t",
            RedirectStatus::RequiresAction,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:3000/back?x=1&payment_intent=pi_3%26evil%3D1\
             &payment_intent_client_secret=s+e%2Fc%2Br%3Dt&redirect_status=requires_action"
        );
    }

    #[test]
    fn only_absolute_http_urls_are_return_urls() {
        for bad in ["javascript:alert(1)", "/done", "ftp://x/y", ""] {
            assert!(
                return_url(bad, "pi", "s", RedirectStatus::Succeeded).is_err(),
                "{bad}"
            );
        }
    }
}
