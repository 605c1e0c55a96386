//! [`NextAction`]: what the payer must do before a payment in `requires_action` can go on,
//! serialized as Stripe's PaymentIntent `next_action`.

use serde::{Deserialize, Serialize};

/// Stripe's `next_action` object: `{"type": "<kind>", "<kind>": {…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NextAction {
    /// Send the payer's browser to `url` (a 3-D Secure or wallet page); the payer comes back to
    /// `return_url` when done.
    RedirectToUrl { redirect_to_url: RedirectToUrl },
}

/// The payload of [`NextAction::RedirectToUrl`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectToUrl {
    pub url: String,
    pub return_url: Option<String>,
}

impl NextAction {
    pub fn redirect(url: impl Into<String>, return_url: Option<String>) -> NextAction {
        NextAction::RedirectToUrl {
            redirect_to_url: RedirectToUrl {
                url: url.into(),
                return_url,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_redirect_serializes_as_stripes_next_action() {
        let a = NextAction::redirect(
            "https://pay.example/3ds/abc",
            Some("https://shop.example/done".into()),
        );
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v,
            json!({"type": "redirect_to_url", "redirect_to_url": {
                "url": "https://pay.example/3ds/abc", "return_url": "https://shop.example/done"}})
        );
        assert_eq!(serde_json::from_value::<NextAction>(v).unwrap(), a);
    }
}
