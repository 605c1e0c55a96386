//! The connector to the mobile carrier (휴대폰 소액결제), over the carrier's HTTP JSON API
//! (`paygate sim carrier` or a real carrier's gateway):
//!
//! - [`CarrierClient`]: the payer-page steps before any money moves — ask the carrier to send
//!   the subscriber a code ([`CarrierClient::start`]), a new code ([`CarrierClient::resend`]),
//!   check the typed code ([`CarrierClient::verify`]);
//! - [`CarrierConnector`]: the engine's [`Connector`] — the authorization is the charge to
//!   this month's bill of a payment the subscriber confirmed, a refund is the carrier's
//!   cancellation (full, same KST month), a reversal voids or cancels;
//! - [`refusal`]: the carrier's codes as Stripe-shaped declines;
//! - [`settlement`]: our reader of the carrier's monthly settlement file.

pub mod client;
pub mod refusal;
pub mod settlement;

pub use client::{CarrierClient, CarrierError, CarrierPayment};

use paygate_ledger::Counterparty;
use paygate_payments::{
    AuthorizationOutcome, AuthorizationRequest, BoxFuture, Connector, ConnectorError, ConnectorRef,
    FollowUpAnswer, FollowUpKind, PaymentMethodData, PreparedAuthorization, PreparedFollowUp,
};
use serde_json::json;

/// The engine's connector to the carrier.
pub struct CarrierConnector {
    client: CarrierClient,
}

impl CarrierConnector {
    pub fn new(client: CarrierClient) -> CarrierConnector {
        CarrierConnector { client }
    }
}

/// What our references name: the carrier's payment id (and, for a cancel, its amount).
fn transaction(r: &ConnectorRef) -> Result<String, ConnectorError> {
    r.0["transaction"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ConnectorError("not a carrier reference".into()))
}

/// A charge about to be sent: the carrier's payment and the amount.
struct Charge {
    transaction: String,
    amount: i64,
}

impl Connector for CarrierConnector {
    fn counterparty(&self) -> Counterparty {
        Counterparty::Carrier
    }

    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError> {
        let PaymentMethodData::MobileCarrier { transaction, .. } = req.method else {
            return Err(ConnectorError(
                "the carrier bills mobile_carrier payments only".into(),
            ));
        };
        if !req.currency.code().eq_ignore_ascii_case("krw") {
            return Err(ConnectorError("the carrier bills KRW only".into()));
        }
        Ok(PreparedAuthorization {
            reference: ConnectorRef(json!({"transaction": transaction})),
            message: Box::new(Charge {
                transaction: transaction.to_owned(),
                amount: req.amount,
            }),
        })
    }

    fn send_authorization(
        &self,
        prepared: PreparedAuthorization,
    ) -> BoxFuture<'_, AuthorizationOutcome> {
        Box::pin(async move {
            let Ok(charge) = prepared.message.downcast::<Charge>() else {
                return AuthorizationOutcome::Unknown {
                    why: "not a carrier charge".into(),
                    reversal: None,
                };
            };
            match self.client.charge(&charge.transaction, charge.amount).await {
                Ok(p) => AuthorizationOutcome::Approved {
                    reference: prepared.reference,
                    approval_code: None,
                    network_transaction_id: Some(p.id),
                    issuer_data: None,
                    funding_last4: None,
                },
                Err(CarrierError::Refused { code, .. }) => AuthorizationOutcome::Declined {
                    decline: refusal::decline(&code),
                    network_code: code,
                    network_transaction_id: Some(charge.transaction.clone()),
                    issuer_data: None,
                },
                Err(e) => AuthorizationOutcome::Unknown {
                    why: e.to_string(),
                    reversal: None,
                },
            }
        })
    }

    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        original: &ConnectorRef,
        _network_transaction_id: &str,
        amount: i64,
        _currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        if kind == FollowUpKind::Capture {
            return Err(ConnectorError(
                "carrier charges are captured with their authorization".into(),
            ));
        }
        let record = ConnectorRef(json!({"transaction": transaction(original)?, "amount": amount}));
        Ok(PreparedFollowUp {
            message: Box::new(()),
            record,
        })
    }

    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
        Box::pin(async move { self.cancel(&prepared.record).await })
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        // The carrier answers a repeated cancel of a cancelled payment with the payment.
        Box::pin(self.cancel(record))
    }

    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
        record.0["amount"]
            .as_i64()
            .ok_or_else(|| ConnectorError("a carrier cancel without its amount".into()))
    }

    fn reverse<'a>(
        &'a self,
        reference: &'a ConnectorRef,
        _amount: i64,
        _currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(async move {
            let id = transaction(reference)?;
            self.client
                .cancel(&id, None)
                .await
                .map(|_| ())
                .map_err(|e| ConnectorError(e.to_string()))
        })
    }
}

impl CarrierConnector {
    async fn cancel(&self, record: &ConnectorRef) -> FollowUpAnswer {
        let (Ok(id), Some(amount)) = (transaction(record), record.0["amount"].as_i64()) else {
            return FollowUpAnswer::Refused("not a carrier cancel".into());
        };
        match self.client.cancel(&id, Some(amount)).await {
            Ok(_) => FollowUpAnswer::Approved,
            Err(CarrierError::Refused { code, .. }) => FollowUpAnswer::Refused(code),
            Err(e) => FollowUpAnswer::Unknown(e.to_string()),
        }
    }
}
