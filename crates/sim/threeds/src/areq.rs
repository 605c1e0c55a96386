//! The AReq (browser channel; payment, or non-payment with the purchase fields) as the DS reads it: the field table of
//! the contract, then the typed [`AReq`] the DS forwards to the ACS. Only valid AReqs exist.

use std::fmt;

use serde_json::{Map, Value};

use crate::erro::Erro;
use crate::fields::{self, Field, Rule, opt, req};

const CHALLENGE_INDS: &[&str] = &["01", "02", "03", "04"];
const AUTHENTICATION_INDS: &[&str] = &["01", "02", "03", "04", "05", "06"];
const BOOLS: &[&str] = &["true", "false"];

/// Every AReq field the contract names, with its rule.
const TABLE: &[Field] = &[
    req("threeDSServerTransID", Rule::Uuid),
    req("threeDSServerRefNumber", Rule::Text(32)),
    req("threeDSServerURL", Rule::Url),
    req("threeDSRequestorID", Rule::Text(35)),
    req("threeDSRequestorName", Rule::Text(40)),
    req("threeDSRequestorURL", Rule::Url),
    req(
        "threeDSRequestorAuthenticationInd",
        Rule::OneOf(AUTHENTICATION_INDS),
    ),
    req("threeDSRequestorChallengeInd", Rule::OneOf(CHALLENGE_INDS)),
    req("threeDSCompInd", Rule::OneOf(&["Y", "N", "U"])),
    req("deviceChannel", Rule::OneOf(&["02"])),
    req("messageCategory", Rule::OneOf(&["01", "02"])),
    req("acctNumber", Rule::Pan),
    req("cardExpiryDate", Rule::Yymm),
    req("purchaseAmount", Rule::Digits(1, 48)),
    req("purchaseCurrency", Rule::Digits(3, 3)),
    req("purchaseExponent", Rule::Digits(1, 1)),
    req("purchaseDate", Rule::DateTime14),
    req("acquirerBIN", Rule::Text(11)),
    req("acquirerMerchantID", Rule::Text(35)),
    req("merchantName", Rule::Text(40)),
    req("mcc", Rule::Digits(4, 4)),
    req("merchantCountryCode", Rule::Digits(3, 3)),
    req("notificationURL", Rule::Url),
    req("browserAcceptHeader", Rule::Text(2048)),
    req("browserUserAgent", Rule::Text(2048)),
    req("browserLanguage", Rule::Text(8)),
    req("browserJavaEnabled", Rule::OneOf(BOOLS)),
    req("browserJavascriptEnabled", Rule::OneOf(BOOLS)),
    req("browserColorDepth", Rule::Digits(1, 2)),
    req("browserScreenHeight", Rule::Digits(1, 6)),
    req("browserScreenWidth", Rule::Digits(1, 6)),
    req("browserTZ", Rule::TzOffset),
    opt("browserIP", Rule::Text(45)),
];

/// `threeDSRequestorChallengeInd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChallengeInd {
    /// "01" no preference.
    NoPreference,
    /// "02" no challenge requested.
    NoChallenge,
    /// "03" challenge requested (preference).
    Preferred,
    /// "04" challenge requested (mandate).
    Mandated,
}

/// A card number; its `Debug` shows only the last four digits.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pan(String);

impl Pan {
    /// The full number, for the CAVV and the fingerprint only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The last four digits.
    pub(crate) fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan(•••• {})", self.last4())
    }
}

/// A valid AReq, as far as the simulator uses it.
#[derive(Clone, Debug)]
pub(crate) struct AReq {
    pub three_ds_server_trans_id: String,
    pub three_ds_server_url: String,
    pub challenge_ind: ChallengeInd,
    /// `messageCategory`: "01" payment, "02" non-payment (e.g. indicator 04, add card: the
    /// purchase fields then carry the amount 0 of the account verification to come).
    pub message_category: String,
    pub acct_number: Pan,
    /// Minor units.
    pub purchase_amount: u64,
    /// ISO 4217 numeric, 3 digits.
    pub purchase_currency: String,
    pub purchase_exponent: u8,
    pub merchant_name: String,
    pub notification_url: String,
}

/// Reads an AReq body; an Erro (component DS) names what is wrong.
pub(crate) fn parse(body: &[u8]) -> Result<AReq, Box<Erro>> {
    let map = fields::check(body, "AReq", TABLE)?;
    typed(&map).ok_or_else(|| {
        let id = fields::text(&map, "threeDSServerTransID");
        Erro::new(
            crate::erro::Component::Ds,
            crate::erro::ErrorCode::FormatInvalid,
            "purchaseAmount",
            "AReq",
        )
        .with_ids(Some(&id), None, None)
        .into()
    })
}

/// The typed AReq of a map [`fields::check`] accepted; `None` only for an amount beyond u64.
fn typed(map: &Map<String, Value>) -> Option<AReq> {
    let t = |name| fields::text(map, name);
    let challenge_ind = match t("threeDSRequestorChallengeInd").as_str() {
        "01" => ChallengeInd::NoPreference,
        "02" => ChallengeInd::NoChallenge,
        "03" => ChallengeInd::Preferred,
        _ => ChallengeInd::Mandated,
    };
    Some(AReq {
        three_ds_server_trans_id: t("threeDSServerTransID"),
        three_ds_server_url: t("threeDSServerURL"),
        challenge_ind,
        message_category: t("messageCategory"),
        acct_number: Pan(t("acctNumber")),
        purchase_amount: t("purchaseAmount").parse().ok()?,
        purchase_currency: t("purchaseCurrency"),
        purchase_exponent: t("purchaseExponent").parse().ok()?,
        merchant_name: t("merchantName"),
        notification_url: t("notificationURL"),
    })
}

/// PReq fields.
pub(crate) const PREQ_TABLE: &[Field] = &[
    req("threeDSServerTransID", Rule::Uuid),
    req("threeDSServerRefNumber", Rule::Text(32)),
];
