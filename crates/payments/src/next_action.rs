//! [`NextAction`]: what the payer must do before a payment in `requires_action` can go on,
//! serialized as Stripe's PaymentIntent `next_action`.

use serde::{Deserialize, Serialize};

/// Stripe's `next_action` object: `{"type": "<kind>", "<kind>": {…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NextAction {
    /// Send the payer's browser to `url` (a 3-D Secure, ISP or wallet page); the payer comes
    /// back to `return_url` when done. An ISP payment also says what the payer's own ISP client
    /// signs (`isp_signature_request`), for clients that do not use the page.
    RedirectToUrl {
        redirect_to_url: RedirectToUrl,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        isp_signature_request: Option<IspSignatureRequest>,
    },
    /// Pay by bank transfer into the account shown (a virtual account, 가상계좌), in Stripe's
    /// shape for bank transfers.
    DisplayBankTransferInstructions {
        display_bank_transfer_instructions: BankTransferInstructions,
    },
}

/// Stripe's `next_action.display_bank_transfer_instructions` for a Korean virtual account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransferInstructions {
    /// Minor units still to deposit.
    pub amount_remaining: i64,
    /// Lowercase ISO 4217 alpha code.
    pub currency: String,
    pub financial_addresses: Vec<FinancialAddress>,
    /// Always `kr_virtual_account`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One account the payer may deposit into: `{"type": "kr_virtual_account", "kr_virtual_account": {…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub kr_virtual_account: KrVirtualAccount,
}

/// A virtual account as the payer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KrVirtualAccount {
    pub bank_code: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder_name: String,
    /// Unix seconds; deposits after it are refused by the bank.
    pub expires_at: i64,
}

/// What an ISP client signs for a payment (with `signed_at` added) and where its ISP server is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IspSignatureRequest {
    pub payment_intent: String,
    /// The merchant's account id.
    pub merchant: String,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lowercase ISO 4217 alpha code.
    pub currency: String,
    /// Base URL of the ISP server the payer's certificate comes from (enrolment).
    pub isp_url: String,
}

/// The payload of [`NextAction::RedirectToUrl`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectToUrl {
    pub url: String,
    pub return_url: Option<String>,
}

impl NextAction {
    /// Deposit `amount_remaining` into the virtual account `account`.
    pub fn bank_transfer(
        amount_remaining: i64,
        currency: impl Into<String>,
        account: KrVirtualAccount,
    ) -> NextAction {
        NextAction::DisplayBankTransferInstructions {
            display_bank_transfer_instructions: BankTransferInstructions {
                amount_remaining,
                currency: currency.into(),
                financial_addresses: vec![FinancialAddress {
                    kind: "kr_virtual_account".into(),
                    kr_virtual_account: account,
                }],
                kind: "kr_virtual_account".into(),
            },
        }
    }

    pub fn redirect(url: impl Into<String>, return_url: Option<String>) -> NextAction {
        NextAction::RedirectToUrl {
            redirect_to_url: RedirectToUrl {
                url: url.into(),
                return_url,
            },
            isp_signature_request: None,
        }
    }

    /// The redirect to an ISP page, with what the payer's ISP client signs.
    pub fn isp(
        url: impl Into<String>,
        return_url: Option<String>,
        request: IspSignatureRequest,
    ) -> NextAction {
        NextAction::RedirectToUrl {
            redirect_to_url: RedirectToUrl {
                url: url.into(),
                return_url,
            },
            isp_signature_request: Some(request),
        }
    }

    /// The ISP signature request, when this action carries one.
    pub fn isp_signature_request(&self) -> Option<&IspSignatureRequest> {
        match self {
            NextAction::RedirectToUrl {
                isp_signature_request,
                ..
            } => isp_signature_request.as_ref(),
            NextAction::DisplayBankTransferInstructions { .. } => None,
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
