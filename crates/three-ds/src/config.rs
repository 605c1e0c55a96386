//! What the 3DS Server is told: who the requestor is ([`Requestor`]), what the payer's browser
//! said ([`BrowserInfo`]) and the payment to authenticate ([`AuthenticationRequest`]), with the
//! checks that keep an AReq the DS would refuse from being sent.

use hyper::Uri;
use paygate_ledger::Currency;
use paygate_vault::{Expiry, Pan};
use std::net::IpAddr;
use uuid::Uuid;

use crate::messages::{ChallengeInd, ChallengeWindowSize, MessageCategory};
use crate::outcome::Error;

/// Who asks for authentications: the 3DS Requestor (paygate on behalf of its merchants), the
/// acquirer and the URLs the DS and the ACS call back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requestor {
    /// `threeDSRequestorID`, assigned by the DS.
    pub requestor_id: String,
    /// `threeDSRequestorName`.
    pub requestor_name: String,
    /// `threeDSRequestorURL`: the requestor's website.
    pub requestor_url: String,
    /// `threeDSServerRefNumber`: the 3DS Server's EMVCo reference number.
    pub server_ref_number: String,
    /// `threeDSServerURL`: where the DS POSTs RReqs (the gateway's RReq endpoint).
    pub server_url: String,
    /// `acquirerBIN`, digits.
    pub acquirer_bin: String,
    /// `merchantCountryCode`, ISO 3166-1 numeric (410 = Korea).
    pub merchant_country_numeric: u16,
    /// `mcc`, 4 digits.
    pub mcc: String,
    /// Base of the notification URLs: the browser returns with `cres` to
    /// `{notification_base_url}/{threeDSServerTransID}` (see [`Requestor::notification_url`]).
    pub notification_base_url: String,
}

impl Requestor {
    /// The `notificationURL` of one transaction.
    pub fn notification_url(&self, three_ds_server_trans_id: Uuid) -> String {
        format!(
            "{}/{}",
            self.notification_base_url.trim_end_matches('/'),
            three_ds_server_trans_id.hyphenated()
        )
    }
}

/// What the payer's browser told the merchant page (EMV browser fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserInfo {
    /// The HTTP `Accept` header.
    pub accept_header: String,
    /// The HTTP `User-Agent` header.
    pub user_agent: String,
    /// `navigator.language` or `Accept-Language`'s first tag, e.g. "ko-KR".
    pub language: String,
    pub java_enabled: bool,
    pub javascript_enabled: bool,
    /// Bits per pixel: 1, 4, 8, 15, 16, 24, 32 or 48.
    pub color_depth: u8,
    /// Screen height in pixels.
    pub screen_height: u32,
    /// Screen width in pixels.
    pub screen_width: u32,
    /// UTC minus local time, in minutes (`Date.getTimezoneOffset()`; -540 in Korea).
    pub tz_offset_minutes: i32,
    /// The browser's IP address, when known.
    pub ip: Option<IpAddr>,
}

/// What is authenticated: a payment, or a card being added for later payments.
///
/// Adding a card (a SetupIntent, a wallet registration) is EMV 3DS's **non-payment**
/// authentication: `messageCategory` 02-NPA with `threeDSRequestorAuthenticationInd` 04 "Add
/// card". Not a 01-PA with `purchaseAmount` 0: a PA asserts a purchase the ACS risk-scores
/// and shows to the cardholder, and nothing is bought here. In 2.2.0 the purchase fields of an
/// NPA are required only for indicators 02/03 (recurring, instalment) and optional otherwise;
/// paygate sends them as the amount (0) and currency of the account verification the
/// authentication value will be presented with, so the issuer can bind the value to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthenticationPurpose {
    /// 01-PA, indicator 01 "Payment transaction".
    #[default]
    Payment,
    /// 02-NPA, indicator 04 "Add card".
    AddCard,
}

impl AuthenticationPurpose {
    /// `messageCategory` and `threeDSRequestorAuthenticationInd` of an AReq.
    pub fn codes(self) -> (MessageCategory, &'static str) {
        match self {
            AuthenticationPurpose::Payment => (MessageCategory::Payment, "01"),
            AuthenticationPurpose::AddCard => (MessageCategory::NonPayment, "04"),
        }
    }
}

/// One payment (or card addition) to authenticate.
#[derive(Clone, Debug)]
pub struct AuthenticationRequest<'a> {
    /// Our id of the transaction (UUID v4): the key of the caller's record.
    pub three_ds_server_trans_id: Uuid,
    /// A payment, or a card added for later payments.
    pub purpose: AuthenticationPurpose,
    pub pan: &'a Pan,
    pub expiry: &'a Expiry,
    /// Amount in minor units of `currency`; 0 exactly when adding a card.
    pub amount_minor: i64,
    pub currency: Currency,
    /// What the merchant asks for.
    pub challenge: ChallengeInd,
    /// Size of the challenge window (CReq).
    pub window_size: ChallengeWindowSize,
    pub browser: &'a BrowserInfo,
    /// `notificationURL` (usually [`Requestor::notification_url`]).
    pub notification_url: &'a str,
    /// `acquirerMerchantID`: the merchant's id at the acquirer, 1..=35 characters.
    pub acquirer_merchant_id: &'a str,
    /// `merchantName`: the name the ACS shows the cardholder, 1..=40 characters (see
    /// [`merchant_name`]).
    pub merchant_name: &'a str,
}

/// Most characters of `merchantName` (EMV 3DS 2.2.0, Table A.1).
pub const MERCHANT_NAME_MAX: usize = 40;

/// `name` as a `merchantName`: control characters dropped, cut to [`MERCHANT_NAME_MAX`]
/// characters.
pub fn merchant_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(MERCHANT_NAME_MAX)
        .collect()
}

pub(crate) fn invalid(field: &'static str, rule: &'static str) -> Error {
    Error::InvalidRequest { field, rule }
}

fn digits(v: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

fn text(v: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&v.chars().count()) && !v.chars().any(char::is_control)
}

pub(crate) fn http_url(v: &str) -> bool {
    (v.starts_with("http://") || v.starts_with("https://")) && v.parse::<Uri>().is_ok()
}

pub(crate) fn check_requestor(r: &Requestor) -> Result<(), Error> {
    let checks: [(bool, &'static str, &'static str); 9] = [
        (
            text(&r.requestor_id, 1..=35),
            "requestor_id",
            "must be 1..=35 characters",
        ),
        (
            text(&r.requestor_name, 1..=40),
            "requestor_name",
            "must be 1..=40 characters",
        ),
        (
            http_url(&r.requestor_url),
            "requestor_url",
            "must be an http(s) URL",
        ),
        (
            text(&r.server_ref_number, 1..=32),
            "server_ref_number",
            "must be 1..=32 characters",
        ),
        (
            http_url(&r.server_url),
            "server_url",
            "must be an http(s) URL",
        ),
        (
            digits(&r.acquirer_bin, 1..=11),
            "acquirer_bin",
            "must be 1..=11 digits",
        ),
        (
            (1..=999).contains(&r.merchant_country_numeric),
            "merchant_country_numeric",
            "must be in 1..=999",
        ),
        (digits(&r.mcc, 4..=4), "mcc", "must be 4 digits"),
        (
            http_url(&r.notification_base_url),
            "notification_base_url",
            "must be an http(s) URL",
        ),
    ];
    match checks.iter().find(|(ok, ..)| !ok) {
        Some(&(_, field, rule)) => Err(invalid(field, rule)),
        None => Ok(()),
    }
}

pub(crate) fn check_request(req: &AuthenticationRequest<'_>) -> Result<(), Error> {
    let b = req.browser;
    let checks: [(bool, &'static str, &'static str); 12] = [
        (
            req.three_ds_server_trans_id.get_version_num() == 4,
            "three_ds_server_trans_id",
            "must be a UUID v4",
        ),
        (
            match req.purpose {
                AuthenticationPurpose::Payment => {
                    (1..=req.currency.max_amount()).contains(&req.amount_minor)
                }
                AuthenticationPurpose::AddCard => req.amount_minor == 0,
            },
            "amount_minor",
            "must be in 1..=the currency's maximum (0 when adding a card)",
        ),
        (
            http_url(req.notification_url),
            "notification_url",
            "must be an http(s) URL",
        ),
        (
            text(req.merchant_name, 1..=MERCHANT_NAME_MAX),
            "merchant_name",
            "must be 1..=40 characters",
        ),
        (
            text(req.acquirer_merchant_id, 1..=35),
            "acquirer_merchant_id",
            "must be 1..=35 characters",
        ),
        (
            text(&b.accept_header, 1..=2048),
            "browser.accept_header",
            "must be 1..=2048 characters",
        ),
        (
            text(&b.user_agent, 1..=2048),
            "browser.user_agent",
            "must be 1..=2048 characters",
        ),
        (
            text(&b.language, 1..=8),
            "browser.language",
            "must be 1..=8 characters",
        ),
        (
            [1, 4, 8, 15, 16, 24, 32, 48].contains(&b.color_depth),
            "browser.color_depth",
            "must be 1, 4, 8, 15, 16, 24, 32 or 48",
        ),
        (
            (1..=999_999).contains(&b.screen_height),
            "browser.screen_height",
            "must be 1..=999999",
        ),
        (
            (1..=999_999).contains(&b.screen_width),
            "browser.screen_width",
            "must be 1..=999999",
        ),
        (
            (-840..=720).contains(&b.tz_offset_minutes),
            "browser.tz_offset_minutes",
            "must be -840..=720",
        ),
    ];
    match checks.iter().find(|(ok, ..)| !ok) {
        Some(&(_, field, rule)) => Err(invalid(field, rule)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merchant_name_is_cut_to_40_characters_not_bytes_without_control_characters() {
        let korean = "가".repeat(50);
        assert_eq!(merchant_name(&korean), "가".repeat(40));
        assert_eq!(merchant_name("Seoul\u{7}Coffee\n"), "SeoulCoffee");
        assert_eq!(merchant_name("Test shop"), "Test shop");
    }
}
