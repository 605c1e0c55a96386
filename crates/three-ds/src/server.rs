//! [`ThreeDsServer`]: the gateway's 3DS Server. It holds the configuration, the HTTP client
//! towards the DS and the card-range cache; every transaction's state is the caller's
//! ([`PendingAuthentication`]), so any gateway process can finish a challenge another started.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::Uri;
use paygate_ledger::Currency;
use paygate_vault::{Expiry, Pan};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

use crate::card_ranges::{CardRanges, Enrollment};
use crate::client::{DsClient, Timeouts};
use crate::eci::EciScheme;
use crate::messages::{
    AReq, ARes, AcctNumber, Answer, CReq, ChallengeInd, ChallengeWindowSize, DeviceChannel,
    ErrorCode, MESSAGE_VERSION, MessageCategory, MessageType, PReq, TransStatus, ValidationError,
    read_ares, read_pres,
};
use crate::outcome::{AuthenticationStart, Challenge, Error, Outcome, PendingAuthentication};

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
    /// `merchantName`.
    pub merchant_name: String,
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

/// One payment to authenticate.
#[derive(Clone, Debug)]
pub struct AuthenticationRequest<'a> {
    /// Our id of the transaction (UUID v4): the key of the caller's record.
    pub three_ds_server_trans_id: Uuid,
    pub pan: &'a Pan,
    pub expiry: &'a Expiry,
    /// Amount in minor units of `currency`.
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
}

/// The 3DS Server. Cheap to clone (the range cache is shared).
#[derive(Clone, Debug)]
pub struct ThreeDsServer {
    preq_uri: Uri,
    areq_uri: Uri,
    requestor: Arc<Requestor>,
    client: DsClient,
    ranges: Arc<RwLock<Option<CardRanges>>>,
}

fn invalid(field: &'static str, rule: &'static str) -> Error {
    Error::InvalidRequest { field, rule }
}

fn digits(v: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

fn text(v: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&v.chars().count()) && !v.chars().any(char::is_control)
}

fn http_url(v: &str) -> bool {
    (v.starts_with("http://") || v.starts_with("https://")) && v.parse::<Uri>().is_ok()
}

impl ThreeDsServer {
    /// A 3DS Server talking to the DS at `ds_base_url` (e.g. `http://127.0.0.1:7400`; the DS
    /// endpoints are `{base}/ds/preq` and `{base}/ds/areq`).
    pub fn new(ds_base_url: &str, requestor: Requestor, timeouts: Timeouts) -> Result<Self, Error> {
        check_requestor(&requestor)?;
        let base = ds_base_url.trim_end_matches('/');
        if !base.starts_with("http://") {
            return Err(invalid("ds_base_url", "must be an http:// URL"));
        }
        let uri = |path: &str| {
            format!("{base}{path}")
                .parse::<Uri>()
                .map_err(|_| invalid("ds_base_url", "must be an http:// URL"))
        };
        Ok(ThreeDsServer {
            preq_uri: uri("/ds/preq")?,
            areq_uri: uri("/ds/areq")?,
            requestor: Arc::new(requestor),
            client: DsClient::new(timeouts),
            ranges: Arc::new(RwLock::new(None)),
        })
    }

    /// The configuration.
    pub fn requestor(&self) -> &Requestor {
        &self.requestor
    }

    /// Downloads the card ranges (PReq → PRes) and replaces the cache; returns their count.
    /// On failure the previous ranges stay.
    pub async fn refresh_card_ranges(&self) -> Result<usize, Error> {
        let id = Uuid::new_v4();
        let preq = PReq {
            message_type: MessageType::PReq,
            message_version: MESSAGE_VERSION.to_owned(),
            three_ds_server_trans_id: id,
            three_ds_server_ref_number: self.requestor.server_ref_number.clone(),
        };
        let body = serde_json::to_vec(&preq).expect("a PReq serializes");
        let answer = self
            .client
            .post_json(&self.preq_uri, body)
            .await
            .map_err(Error::Transport)?;
        let pres = match read_pres(&answer)? {
            Answer::Response(p) => p,
            Answer::Erro(e) => return Err(Error::Erro(Box::new(e))),
        };
        if pres.three_ds_server_trans_id != id {
            return Err(unknown_transaction("threeDSServerTransID"));
        }
        let ranges = CardRanges::from_pres(&pres);
        let count = ranges.len();
        *self.ranges.write().expect("range cache lock") = Some(ranges);
        tracing::info!(ranges = count, serial = %pres.serial_num, "3-D Secure card ranges loaded");
        Ok(count)
    }

    /// Whether `pan` is enrolled (from the last PRes); [`Enrollment::Unknown`] before the first.
    pub fn enrollment(&self, pan: &Pan) -> Enrollment {
        match &*self.ranges.read().expect("range cache lock") {
            Some(r) => r.lookup(pan),
            None => Enrollment::Unknown,
        }
    }

    /// Sends the AReq for `req` and reads the ARes: frictionless, challenge, failed, or
    /// unavailable when the DS cannot be asked. An Erro or an invalid ARes is an [`Error`].
    pub async fn authenticate(
        &self,
        req: &AuthenticationRequest<'_>,
    ) -> Result<AuthenticationStart, Error> {
        let areq = self.areq(req)?;
        let body = serde_json::to_vec(&areq).expect("an AReq serializes");
        let answer = match self.client.post_json(&self.areq_uri, body).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(three_ds_server_trans_id = %req.three_ds_server_trans_id, error = %e, "AReq not answered");
                return Ok(AuthenticationStart::Unavailable(e.to_string()));
            }
        };
        let ares = match read_ares(&answer)? {
            Answer::Response(a) => a,
            Answer::Erro(e) => return Err(Error::Erro(Box::new(e))),
        };
        let scheme = EciScheme::of(req.pan.brand());
        check_ares(&ares, req.three_ds_server_trans_id, scheme)?;
        Ok(start(ares, req, scheme))
    }

    /// The AReq of `req`, checked.
    fn areq(&self, req: &AuthenticationRequest<'_>) -> Result<AReq, Error> {
        check_request(req)?;
        let r = &*self.requestor;
        let b = req.browser;
        let purchase_date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day][hour][minute][second]"
            ))
            .expect("a UTC date formats");
        Ok(AReq {
            message_type: MessageType::AReq,
            message_version: MESSAGE_VERSION.to_owned(),
            three_ds_server_trans_id: req.three_ds_server_trans_id,
            three_ds_server_ref_number: r.server_ref_number.clone(),
            three_ds_server_url: r.server_url.clone(),
            three_ds_requestor_id: r.requestor_id.clone(),
            three_ds_requestor_name: r.requestor_name.clone(),
            three_ds_requestor_url: r.requestor_url.clone(),
            three_ds_requestor_authentication_ind: "01".to_owned(),
            three_ds_requestor_challenge_ind: req.challenge,
            three_ds_comp_ind: "U".to_owned(),
            device_channel: DeviceChannel::Browser,
            message_category: MessageCategory::Payment,
            acct_number: AcctNumber(req.pan.expose().to_owned()),
            card_expiry_date: req.expiry.yymm(),
            purchase_amount: req.amount_minor.to_string(),
            purchase_currency: format!("{:03}", req.currency.numeric()),
            purchase_exponent: req.currency.exponent().to_string(),
            purchase_date,
            acquirer_bin: r.acquirer_bin.clone(),
            acquirer_merchant_id: req.acquirer_merchant_id.to_owned(),
            merchant_name: r.merchant_name.clone(),
            mcc: r.mcc.clone(),
            merchant_country_code: format!("{:03}", r.merchant_country_numeric),
            notification_url: req.notification_url.to_owned(),
            browser_accept_header: b.accept_header.clone(),
            browser_user_agent: b.user_agent.clone(),
            browser_language: b.language.clone(),
            browser_java_enabled: b.java_enabled.to_string(),
            browser_javascript_enabled: b.javascript_enabled.to_string(),
            browser_color_depth: b.color_depth.to_string(),
            browser_screen_height: b.screen_height.to_string(),
            browser_screen_width: b.screen_width.to_string(),
            browser_tz: b.tz_offset_minutes.to_string(),
            browser_ip: b.ip.map(|ip| ip.to_string()),
        })
    }
}

fn check_requestor(r: &Requestor) -> Result<(), Error> {
    let checks: [(bool, &'static str, &'static str); 10] = [
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
            text(&r.merchant_name, 1..=40),
            "merchant_name",
            "must be 1..=40 characters",
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

fn check_request(req: &AuthenticationRequest<'_>) -> Result<(), Error> {
    let b = req.browser;
    let checks: [(bool, &'static str, &'static str); 10] = [
        (
            req.amount_minor >= 0 && req.amount_minor <= req.currency.max_amount(),
            "amount_minor",
            "must be in 0..=the currency's maximum",
        ),
        (
            http_url(req.notification_url),
            "notification_url",
            "must be an http(s) URL",
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

fn unknown_transaction(field: &str) -> Error {
    Error::InvalidMessage(ValidationError {
        code: ErrorCode::UnknownTransaction,
        field: field.to_owned(),
        rule: "does not name the transaction sent",
        message_type: None,
        ids: Default::default(),
    })
}

/// An ARes answers our AReq, and its ECI is the card brand's for its result.
fn check_ares(ares: &ARes, sent: Uuid, scheme: EciScheme) -> Result<(), Error> {
    if ares.three_ds_server_trans_id != sent {
        return Err(unknown_transaction("threeDSServerTransID"));
    }
    check_eci(ares.trans_status, ares.eci.as_deref(), scheme)
}

/// Y and A must carry the brand's ECI for the result (protocols.md §3.5).
pub(crate) fn check_eci(
    status: TransStatus,
    eci: Option<&str>,
    scheme: EciScheme,
) -> Result<(), Error> {
    match scheme.for_status(status) {
        Some(expected) if eci != Some(expected) => Err(Error::InvalidMessage(ValidationError {
            code: ErrorCode::InvalidFormat,
            field: "eci".to_owned(),
            rule: "is not the card brand's ECI for the transStatus",
            message_type: None,
            ids: Default::default(),
        })),
        _ => Ok(()),
    }
}

fn start(ares: ARes, req: &AuthenticationRequest<'_>, scheme: EciScheme) -> AuthenticationStart {
    let outcome = Outcome {
        trans_status: ares.trans_status,
        trans_status_reason: ares.trans_status_reason,
        eci: ares.eci,
        authentication_value: ares.authentication_value,
        ds_trans_id: ares.ds_trans_id,
        acs_trans_id: ares.acs_trans_id,
        message_version: ares.message_version,
        challenge_cancel: None,
    };
    match outcome.trans_status {
        TransStatus::Authenticated | TransStatus::Attempted => {
            AuthenticationStart::Frictionless(outcome)
        }
        TransStatus::ChallengeRequired => {
            let acs_url = ares.acs_url.expect("read_ares requires acsURL for C");
            let creq = CReq {
                three_ds_server_trans_id: req.three_ds_server_trans_id,
                acs_trans_id: outcome.acs_trans_id,
                message_type: MessageType::CReq,
                message_version: MESSAGE_VERSION.to_owned(),
                challenge_window_size: req.window_size,
            };
            let json = serde_json::to_vec(&creq).expect("a CReq serializes");
            AuthenticationStart::Challenge(Box::new(Challenge {
                creq: URL_SAFE_NO_PAD.encode(json),
                acs_trans_id: outcome.acs_trans_id,
                ds_trans_id: outcome.ds_trans_id,
                pending: PendingAuthentication {
                    three_ds_server_trans_id: req.three_ds_server_trans_id,
                    ds_trans_id: outcome.ds_trans_id,
                    acs_trans_id: outcome.acs_trans_id,
                    message_version: outcome.message_version,
                    eci_scheme: scheme,
                    challenge_ind: req.challenge,
                    acs_url: acs_url.clone(),
                    notification_url: req.notification_url.to_owned(),
                    result: None,
                },
                acs_url,
            }))
        }
        TransStatus::NotAuthenticated | TransStatus::Unavailable | TransStatus::Rejected => {
            AuthenticationStart::Failed(outcome)
        }
    }
}
