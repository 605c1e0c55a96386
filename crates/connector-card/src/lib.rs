//! # paygate-connector-card: the card network behind the connector seam
//!
//! [`CardConnector`] implements [`paygate_payments::Connector`] over the ISO 8583
//! [`Link`]: it maps a payment to an authorization request (DE 22 `812` e-commerce, the
//! acceptor id from the merchant, expiry as YYMM, CVC in DE 48.92, a 3-D Secure result in
//! DE 48.42/43/44 — [`card_authentication`]), the network's answers to typed
//! outcomes (DE 39 to Stripe's decline codes, [`decline_for`]) and keeps, as the opaque
//! references the engine stores, the network's own names for its messages: a [`NetRef`] for an
//! authorization, a [`FollowUpRecord`] (the whole repeatable message) for a capture or refund.

mod decline;

pub use decline::decline_for;

use paygate_ledger::Counterparty;
use paygate_network::link::{
    AuthKind, AuthRequest, AuthenticationProgram as CardProgram, CardAuthentication,
    FollowUpKind as NetFollowUpKind, Link, LinkError, NetRef, Outcome, PreparedAuth,
    PreparedFollowUp as NetPreparedFollowUp, StoredCredential as CardStoredCredential,
    StoredCredentialUsage as CardUsage,
};
use paygate_payments::{
    Authentication, AuthenticationProgram, AuthorizationKind, AuthorizationOutcome,
    AuthorizationRequest, BoxFuture, CardRead, Connector, ConnectorError, ConnectorRef,
    FollowUpAnswer, FollowUpKind, PaymentMethodData, PreparedAuthorization, PreparedFollowUp,
    StoredCredential, StoredCredentialUsage,
};
use serde::{Deserialize, Serialize};

/// DE 22 for card-not-present e-commerce (PAN keyed by the cardholder, no PIN capability).
pub const POS_ENTRY_ECOMMERCE: &str = "812";
/// DE 22 for a contactless chip read at a terminal that can take a PIN (NFC wallets).
pub const POS_ENTRY_CONTACTLESS_CHIP: &str = "071";
/// DE 22 for a full magnetic stripe track 2 read (Samsung Pay MST), PIN capable.
pub const POS_ENTRY_MST_TRACK2: &str = "901";

/// The card-acceptor id (DE 42, 15 characters) for a merchant: the last 15 characters of its
/// id, left-aligned and padded with spaces.
pub fn acceptor_id(merchant_id: &str) -> String {
    let start = merchant_id
        .char_indices()
        .rev()
        .nth(14)
        .map_or(0, |(i, _)| i);
    format!("{:<15}", &merchant_id[start..])
}

/// What the recovery record of a follow-up holds: enough to re-send exactly the same message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRecord {
    pub kind: NetFollowUpKind,
    pub own: NetRef,
    pub orig: NetRef,
    pub rrn: String,
    pub amount: i64,
    pub currency_numeric: u16,
}

/// What the network said about a follow-up message.
pub fn classify(r: &Result<Outcome, LinkError>) -> FollowUpAnswer {
    match r {
        Ok(o) if o.approved() => FollowUpAnswer::Approved,
        Ok(o) => FollowUpAnswer::Refused(o.response_code.clone()),
        Err(
            e @ (LinkError::Disconnected
            | LinkError::Busy
            | LinkError::InvalidRequest { .. }
            | LinkError::StanInUse { .. }),
        ) => FollowUpAnswer::Refused(e.to_string()),
        Err(e) => FollowUpAnswer::Unknown(e.to_string()),
    }
}

/// The payments-level authentication as DE 48.42/43/44 (and 45, the program) of the
/// authorization.
pub fn card_authentication(a: &Authentication) -> CardAuthentication<'_> {
    CardAuthentication {
        eci: &a.eci,
        cavv_b64: a.cavv.as_deref(),
        ds_trans_id: a.ds_trans_id.as_deref(),
        program: match a.program {
            AuthenticationProgram::ThreeDSecure => CardProgram::ThreeDSecure,
            AuthenticationProgram::Isp => CardProgram::Isp,
        },
    }
}

/// The payments-level credential-on-file data as DE 48.46/47 (the network transaction id of
/// the initial use is its RRN).
pub fn card_stored_credential<'a>(sc: &StoredCredential<'a>) -> CardStoredCredential<'a> {
    CardStoredCredential {
        usage: match sc.usage {
            StoredCredentialUsage::Initial => CardUsage::Initial,
            StoredCredentialUsage::Recurring => CardUsage::Recurring,
            StoredCredentialUsage::Unscheduled => CardUsage::Unscheduled,
        },
        original_rrn: sc.original_network_transaction_id,
    }
}

/// The message an authorization kind is sent as.
fn auth_kind(kind: AuthorizationKind) -> AuthKind {
    match kind {
        AuthorizationKind::Authorization => AuthKind::Authorization,
        AuthorizationKind::Purchase => AuthKind::Purchase,
        AuthorizationKind::AccountVerification => AuthKind::AccountVerification,
    }
}

fn err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError(e.to_string())
}

fn read<'a, T: Deserialize<'a>>(r: &'a ConnectorRef) -> Result<T, ConnectorError> {
    T::deserialize(&r.0).map_err(|e| ConnectorError(format!("not a card network reference: {e}")))
}

fn reference<T: Serialize>(v: &T) -> Result<ConnectorRef, ConnectorError> {
    serde_json::to_value(v).map(ConnectorRef).map_err(err)
}

/// The card network as a [`Connector`].
#[derive(Clone, Debug)]
pub struct CardConnector {
    link: Link,
}

impl CardConnector {
    pub fn new(link: Link) -> CardConnector {
        CardConnector { link }
    }

    async fn authorize(&self, prepared: PreparedAuthorization) -> AuthorizationOutcome {
        let PreparedAuthorization { reference, message } = prepared;
        let Ok(p) = message.downcast::<PreparedAuth>() else {
            return AuthorizationOutcome::Unknown {
                why: "not a card authorization".into(),
                reversal: None,
            };
        };
        match self.link.send_auth(*p).await {
            Ok(o) if o.approved() => AuthorizationOutcome::Approved {
                reference,
                approval_code: o.approval_code,
                network_transaction_id: o.rrn,
                issuer_data: o.icc,
                funding_last4: o.funding_last4,
            },
            Ok(o) => AuthorizationOutcome::Declined {
                decline: decline_for(&o.response_code),
                network_code: o.response_code,
                network_transaction_id: o.rrn,
                issuer_data: o.icc,
            },
            Err(LinkError::TimedOut { reversal, cause }) => AuthorizationOutcome::Unknown {
                why: format!("authorization outcome unknown ({cause}); a reversal is running"),
                reversal: Some(Box::pin(async move {
                    reversal.wait().await.map(|_| ()).map_err(err)
                })),
            },
            Err(e) => AuthorizationOutcome::Unknown {
                why: e.to_string(),
                reversal: None,
            },
        }
    }
}

impl Connector for CardConnector {
    fn counterparty(&self) -> Counterparty {
        Counterparty::CardNetwork
    }

    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError> {
        let (pan, expiry, cvc, read) = match req.method {
            PaymentMethodData::Card { pan, expiry, cvc } => (pan, expiry, cvc, None),
            PaymentMethodData::CardPresent { pan, expiry, read } => (pan, expiry, None, Some(read)),
            _ => {
                return Err(ConnectorError(
                    "the card network authorizes cards only".into(),
                ));
            }
        };
        let (pos_entry_mode, track2, icc) = match read {
            None => (POS_ENTRY_ECOMMERCE, None, None),
            Some(CardRead::ContactlessEmv { icc }) => (POS_ENTRY_CONTACTLESS_CHIP, None, Some(icc)),
            Some(CardRead::MagneticStripeTrack2 { track2 }) => (
                POS_ENTRY_MST_TRACK2,
                Some(track2.expose_secret().as_str()),
                None,
            ),
        };
        let expiry = expiry.yymm();
        let merchant = acceptor_id(req.merchant_id);
        let prepared = self
            .link
            .prepare_auth(&AuthRequest {
                kind: auth_kind(req.kind),
                pan: pan.expose(),
                expiry_yymm: &expiry,
                cvc: cvc.map(|c| c.expose()),
                amount_minor: req.amount,
                currency_numeric: req.currency.numeric(),
                merchant_id: &merchant,
                pos_entry_mode,
                authentication: req.authentication.map(card_authentication),
                track2,
                icc,
                stored_credential: req.stored_credential.as_ref().map(card_stored_credential),
                installments: req.installments,
            })
            .map_err(err)?;
        Ok(PreparedAuthorization {
            reference: reference(&prepared.net_ref)?,
            message: Box::new(prepared),
        })
    }

    fn send_authorization(
        &self,
        prepared: PreparedAuthorization,
    ) -> BoxFuture<'_, AuthorizationOutcome> {
        Box::pin(self.authorize(prepared))
    }

    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        original: &ConnectorRef,
        network_transaction_id: &str,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        let orig: NetRef = read(original)?;
        let (kind, prepared) = match kind {
            FollowUpKind::Capture => (
                NetFollowUpKind::Capture,
                self.link
                    .prepare_capture(&orig, network_transaction_id, amount, currency_numeric),
            ),
            FollowUpKind::Refund => (
                NetFollowUpKind::Refund,
                self.link
                    .prepare_refund(&orig, network_transaction_id, amount, currency_numeric),
            ),
        };
        let prepared = prepared.map_err(err)?;
        let record = FollowUpRecord {
            kind,
            own: prepared.net_ref.clone(),
            orig,
            rrn: network_transaction_id.to_string(),
            amount,
            currency_numeric,
        };
        Ok(PreparedFollowUp {
            record: reference(&record)?,
            message: Box::new(prepared),
        })
    }

    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
        Box::pin(async move {
            match prepared.message.downcast::<NetPreparedFollowUp>() {
                Ok(p) => classify(&self.link.send_follow_up(*p).await),
                Err(_) => FollowUpAnswer::Refused("not a card follow-up".into()),
            }
        })
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        Box::pin(async move {
            let r: FollowUpRecord = match read(record) {
                Ok(r) => r,
                Err(e) => return FollowUpAnswer::Unknown(e.0),
            };
            let res = self
                .link
                .resend_follow_up(
                    &r.own,
                    &r.orig,
                    &r.rrn,
                    r.kind,
                    r.amount,
                    r.currency_numeric,
                )
                .await;
            classify(&res)
        })
    }

    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
        read::<FollowUpRecord>(record).map(|r| r.amount)
    }

    fn reverse<'a>(
        &'a self,
        reference: &'a ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(async move {
            let net_ref: NetRef = read(reference)?;
            self.link
                .reverse(&net_ref, amount, currency_numeric)
                .await
                .map(|_| ())
                .map_err(err)
        })
    }
}

#[cfg(test)]
mod tests;
