//! [`ThreeDsServer`]: the gateway's 3DS Server. It holds the configuration, the HTTP client
//! towards the DS and the card-range cache; every transaction's state is the caller's
//! ([`PendingAuthentication`]), so any gateway process can finish a challenge another started.
//! Its configuration and inputs are in [`crate::config`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::Uri;
use paygate_vault::Pan;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use uuid::Uuid;

use crate::card_ranges::{CardRanges, Enrollment};
use crate::client::{CallMeter, DsClient, Timeouts};
use crate::config::{AuthenticationRequest, Requestor, check_request, check_requestor, invalid};
use crate::eci::EciScheme;
use crate::messages::{
    AReq, ARes, AcctNumber, Answer, CReq, DeviceChannel, ErrorCode, MESSAGE_VERSION, MessageType,
    PReq, TransStatus, ValidationError, read_ares, read_pres,
};
use crate::outcome::{AuthenticationStart, Challenge, Error, Outcome, PendingAuthentication};

/// The 3DS Server. Cheap to clone (the range cache is shared).
#[derive(Clone, Debug)]
pub struct ThreeDsServer {
    preq_uri: Uri,
    areq_uri: Uri,
    requestor: Arc<Requestor>,
    client: DsClient,
    ranges: Arc<RwLock<Option<CardRanges>>>,
}

impl ThreeDsServer {
    /// A 3DS Server talking to the DS at `ds_base_url` (e.g. `http://127.0.0.1:7400` or an
    /// https URL; the DS endpoints are `{base}/ds/preq` and `{base}/ds/areq`).
    pub fn new(ds_base_url: &str, requestor: Requestor, timeouts: Timeouts) -> Result<Self, Error> {
        check_requestor(&requestor)?;
        let base = ds_base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(invalid("ds_base_url", "must be an http(s) URL"));
        }
        let uri = |path: &str| {
            format!("{base}{path}")
                .parse::<Uri>()
                .map_err(|_| invalid("ds_base_url", "must be an http(s) URL"))
        };
        Ok(ThreeDsServer {
            preq_uri: uri("/ds/preq")?,
            areq_uri: uri("/ds/areq")?,
            requestor: Arc::new(requestor),
            client: DsClient::new(timeouts),
            ranges: Arc::new(RwLock::new(None)),
        })
    }

    /// The server, every call to the DS measured by `meter` (a card-range refresh, an AReq).
    pub fn metered(self, meter: Arc<dyn CallMeter>) -> ThreeDsServer {
        ThreeDsServer {
            client: self.client.metered(meter),
            ..self
        }
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

    /// Loads the card ranges now, then every `every` until the returned task is aborted. A
    /// failed refresh keeps the previous ranges and is logged (the DS may be down at start).
    pub fn spawn_card_range_refresh(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let server = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = server.refresh_card_ranges().await {
                    tracing::warn!(error = %e, "3-D Secure card ranges not refreshed");
                }
            }
        })
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
        let (message_category, authentication_ind) = req.purpose.codes();
        Ok(AReq {
            message_type: MessageType::AReq,
            message_version: MESSAGE_VERSION.to_owned(),
            three_ds_server_trans_id: req.three_ds_server_trans_id,
            three_ds_server_ref_number: r.server_ref_number.clone(),
            three_ds_server_url: r.server_url.clone(),
            three_ds_requestor_id: r.requestor_id.clone(),
            three_ds_requestor_name: r.requestor_name.clone(),
            three_ds_requestor_url: r.requestor_url.clone(),
            three_ds_requestor_authentication_ind: authentication_ind.to_owned(),
            three_ds_requestor_challenge_ind: req.challenge,
            three_ds_comp_ind: "U".to_owned(),
            device_channel: DeviceChannel::Browser,
            message_category,
            acct_number: AcctNumber(req.pan.expose().to_owned()),
            card_expiry_date: req.expiry.yymm(),
            purchase_amount: req.amount_minor.to_string(),
            purchase_currency: format!("{:03}", req.currency.numeric()),
            purchase_exponent: req.currency.exponent().to_string(),
            purchase_date,
            acquirer_bin: r.acquirer_bin.clone(),
            acquirer_merchant_id: req.acquirer_merchant_id.to_owned(),
            merchant_name: req.merchant_name.to_owned(),
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
            let acs_trans_id = ares
                .acs_trans_id
                .expect("read_ares requires acsTransID for C");
            let creq = CReq {
                three_ds_server_trans_id: req.three_ds_server_trans_id,
                acs_trans_id,
                message_type: MessageType::CReq,
                message_version: MESSAGE_VERSION.to_owned(),
                challenge_window_size: req.window_size,
            };
            let json = serde_json::to_vec(&creq).expect("a CReq serializes");
            AuthenticationStart::Challenge(Box::new(Challenge {
                creq: URL_SAFE_NO_PAD.encode(json),
                acs_trans_id,
                ds_trans_id: outcome.ds_trans_id,
                pending: PendingAuthentication {
                    three_ds_server_trans_id: req.three_ds_server_trans_id,
                    ds_trans_id: outcome.ds_trans_id,
                    acs_trans_id,
                    message_version: outcome.message_version,
                    eci_scheme: scheme,
                    challenge_ind: req.challenge,
                    acs_url: acs_url.clone(),
                    notification_url: req.notification_url.to_owned(),
                    result: None,
                    cres_received: false,
                },
                acs_url,
            }))
        }
        TransStatus::NotAuthenticated | TransStatus::Unavailable | TransStatus::Rejected => {
            AuthenticationStart::Failed(outcome)
        }
    }
}
