//! Authorize: the confirm of a PaymentIntent, in the engine's phases.
//!
//! Phase 1 moves the intent to `processing` (inserting it, when it is created and confirmed in
//! one request) and records the authorization about to go out under the connector's own name
//! for it. Phase 3 turns the connector's answer into the charge, the intent's next status, the
//! ledger postings of an automatic capture and the events — or, for a payer action, the
//! intent's `next_action`.

mod details;

use super::charge::{Approval, Refusal, approved_charge, failed_charge, post_capture};
use super::credential_on_file::CredentialOnFile;
use super::payment::AuthPayment;
use super::{Answer, Phases, Recorded, RequestContext, Settled, Undo};
use crate::error::{ApiError, ApiResult};
use crate::metrics::{Counted, PaymentOutcome};
use crate::models::{PaymentIntent, to_value};
use crate::pos::read::CardPresentRead;
use crate::records::{event, insert, update};
use crate::render::public;
use crate::state::AppState;
use paygate_payments::{
    AttemptRecord, AuthorizationKind, AuthorizationOutcome, AuthorizationRequest, BoxFuture,
    CaptureMethod, Connector, ConnectorRef, Decline, Money, PaymentIntentStatus as Status,
    PreparedAuthorization,
};
use paygate_store::{Op, Scope, WriteUnit};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Authorize `intent` with `payment`.
pub struct Authorize {
    pub intent: PaymentIntent,
    /// The stored version of the intent; `None` when `pre` inserts it.
    pub version: Option<i64>,
    /// Writes committed with phase 1 (the insert of an intent created and confirmed at once).
    pub pre: Vec<Op>,
    /// What is charged: a card, or another method's data (`AuthPayment`); its kind picks the
    /// connector.
    pub payment: AuthPayment,
    /// The cardholder's authentication (3-D Secure: ECI, CAVV, DS transaction id), relayed to
    /// the issuer with the authorization.
    pub authentication: Option<paygate_payments::Authentication>,
    /// `payment_method_details.card.three_d_secure` of the charge, when 3-D Secure ran.
    pub three_d_secure: Option<Value>,
    /// The ISP evidence of the charge (`crate::methods::isp::evidence`), when the cardholder
    /// signed with ISP: the charge's details are then `{"type": "isp", "isp": {…}}`.
    pub isp: Option<Value>,
    /// The 간편결제 wallet of the charge (`{"phone": masked, "wallet_card"}`,
    /// `crate::methods::easy_pay`): the charge's details are then `{"type": "easy_pay", …}`.
    pub easy_pay: Option<Value>,
    /// Credential-on-file data: the card saved with this payment, or a merchant-initiated
    /// use of a saved card (DE 48.46/47).
    pub credential_on_file: Option<CredentialOnFile>,
    /// The read of a card or phone at a store's terminal (`crate::pos`): the charge's details
    /// are then `{"type": "card_present", …}`.
    pub card_present: Option<CardPresentRead>,
}

struct AuthorizePhases {
    pi: PaymentIntent,
    version: Option<i64>,
    pre: Vec<Op>,
    payment: AuthPayment,
    three_d_secure: Option<Value>,
    isp: Option<Value>,
    easy_pay: Option<Value>,
    credential_on_file: Option<CredentialOnFile>,
    card_present: Option<CardPresentRead>,
    /// The issuer's EMV data of the answer (card-present).
    issuer_data: Option<Vec<u8>>,
    money: Money,
    prepared: Option<PreparedAuthorization>,
    reference: ConnectorRef,
    /// The connector of the payment method's counterparty.
    connector: Arc<dyn Connector>,
    /// The intent's version after phase 1.
    pi_version: i64,
    attempt_id: String,
}

/// Runs the authorization of `cmd` through the engine. A card sealed for it in the remote
/// vault is discarded when the payment fails before its first write ([`super::Phases::sealed`]
/// from there on).
pub async fn authorize(
    rc: &RequestContext,
    respond: &dyn super::Respond,
    cmd: Authorize,
) -> ApiResult<Value> {
    let sealed = cmd.payment.sealed().to_vec();
    let phases = match prepare(rc, cmd) {
        Ok(phases) => phases,
        Err(e) => {
            rc.st.card_vault.discard(&sealed).await;
            return Err(e);
        }
    };
    super::run(rc, respond, phases).await
}

/// The phases of `cmd`'s authorization, its message to the connector prepared.
fn prepare(rc: &RequestContext, cmd: Authorize) -> ApiResult<AuthorizePhases> {
    let money = cmd.intent.money()?;
    // The payment's method names the counterparty whose connector authorizes it.
    let connector = rc.st.connectors.get(cmd.payment.counterparty())?.clone();
    let prepared = connector
        .prepare_authorization(&AuthorizationRequest {
            method: match (&cmd.card_present, cmd.payment.card()) {
                (Some(read), Some(card)) => paygate_payments::PaymentMethodData::CardPresent {
                    pan: &card.pan,
                    expiry: &card.expiry,
                    read: read.card_read(),
                },
                _ => cmd.payment.data(),
            },
            amount: money.minor(),
            currency: money.currency(),
            kind: match cmd.intent.capture_method {
                CaptureMethod::Automatic => AuthorizationKind::Purchase,
                CaptureMethod::Manual => AuthorizationKind::Authorization,
            },
            merchant_id: &rc.merchant.id,
            authentication: cmd.authentication.as_ref(),
            stored_credential: cmd
                .credential_on_file
                .as_ref()
                .map(CredentialOnFile::stored_credential),
            installments: cmd.intent.installments,
        })
        .map_err(ApiError::internal)?;
    Ok(AuthorizePhases {
        reference: prepared.reference.clone(),
        prepared: Some(prepared),
        connector,
        pi: cmd.intent,
        version: cmd.version,
        pre: cmd.pre,
        payment: cmd.payment,
        three_d_secure: cmd.three_d_secure,
        isp: cmd.isp,
        easy_pay: cmd.easy_pay,
        credential_on_file: cmd.credential_on_file,
        card_present: cmd.card_present,
        issuer_data: None,
        money,
        pi_version: 0,
        attempt_id: String::new(),
    })
}

impl Phases for AuthorizePhases {
    type Reply = AuthorizationOutcome;

    fn record(&mut self, rc: &RequestContext) -> ApiResult<Recorded> {
        let pi = &mut self.pi;
        pi.payment_method = Some(self.payment.pm_id().to_string());
        pi.status = Status::Processing;
        pi.last_payment_error = None;
        pi.next_action = None;
        pi.attempts += 1;
        self.attempt_id = format!("{}:{}", pi.id, pi.attempts);
        let mut ops = std::mem::take(&mut self.pre);
        ops.extend(self.payment.new_ops().iter().cloned());
        let doc = to_value(&*pi);
        self.pi_version = match self.version {
            Some(v) => {
                ops.push(update(&pi.id, v, &doc));
                v + 1
            }
            // `pre` inserts the intent (version 0): insert it as processing right away
            // instead of inserting and then rewriting the same row in this unit.
            None => match ops.iter_mut().find_map(|op| match op {
                Op::InsertObject(row) if row.id == pi.id => Some(row),
                _ => None,
            }) {
                Some(row) => {
                    row.data = doc;
                    0
                }
                None => {
                    ops.push(update(&pi.id, 0, &doc));
                    1
                }
            },
        };
        Ok(Recorded {
            ops,
            attempt_id: self.attempt_id.clone(),
            attempt: AttemptRecord::Authorization {
                payment_intent: pi.id.clone(),
                net_ref: self.reference.clone(),
                amount: self.money.minor(),
                currency_numeric: self.money.currency().numeric(),
                processor: Some(self.connector.counterparty()),
                idempotency_key: rc.idempotency_key().map(str::to_string),
            },
        })
    }

    fn sealed(&self) -> &[crate::card_vault::RemoteRecord] {
        self.payment.sealed()
    }

    fn call<'a>(&'a mut self, _rc: &'a RequestContext) -> BoxFuture<'a, AuthorizationOutcome> {
        match self.prepared.take() {
            Some(prepared) => self.connector.send_authorization(prepared),
            None => Box::pin(async {
                AuthorizationOutcome::Unknown {
                    why: "the authorization was already sent".into(),
                    reversal: None,
                }
            }),
        }
    }

    fn settle(
        self,
        rc: &RequestContext,
        reply: AuthorizationOutcome,
    ) -> BoxFuture<'_, ApiResult<Settled>> {
        Box::pin(async move {
            match reply {
                AuthorizationOutcome::Approved {
                    reference,
                    approval_code,
                    network_transaction_id,
                    issuer_data,
                    funding_last4,
                } => {
                    let mut this = self;
                    this.issuer_data = issuer_data;
                    let approval = Approval {
                        reference,
                        approval_code,
                        network_transaction_id,
                        funding_last4,
                    };
                    this.approved(rc, approval)
                }
                AuthorizationOutcome::Declined {
                    network_code,
                    decline,
                    network_transaction_id,
                    issuer_data,
                } => {
                    let mut this = self;
                    this.issuer_data = issuer_data;
                    let refusal = Refusal {
                        network_code,
                        network_transaction_id,
                    };
                    Ok(this.failed(rc, Some(refusal), decline, false))
                }
                AuthorizationOutcome::Unknown { why, reversal } => {
                    tracing::warn!(payment_intent = %self.pi.id, error = %why, "authorization failed on the link; reversing");
                    super::reversal::spawn_reversal(
                        rc.st.clone(),
                        self.connector.clone(),
                        reversal,
                        super::reversal::ReversalJob {
                            reference: self.reference.clone(),
                            amount: self.money,
                            attempt_id: self.attempt_id.clone(),
                            scope: rc.scope(),
                            payment_intent: self.pi.id.clone(),
                        },
                    );
                    // The recovery record (with the network reference) stays until the
                    // background reversal is acknowledged; recovery redoes it if we die.
                    Ok(self.failed(rc, None, Decline::PROCESSING_ERROR, true))
                }
                AuthorizationOutcome::RequiresAction(action) => {
                    Ok(self.requires_action(rc, action))
                }
            }
        })
    }
}

impl AuthorizePhases {
    fn approved(mut self, rc: &RequestContext, approval: Approval) -> ApiResult<Settled> {
        let method = self.method();
        let scope = rc.scope();
        let key = rc.idempotency_key();
        let processor = self.connector.counterparty();
        let mut ch = approved_charge(
            &self.pi,
            &self.payment,
            processor,
            &approval,
            self.money,
            rc.now,
        );
        self.method_details(&mut ch);
        let wallet = self.payment.card().and_then(|c| c.wallet.as_ref());
        if let (Some(_), Some(last4)) = (wallet, &approval.funding_last4) {
            // A wallet payment shows the funding card's last 4 (the network's token service
            // named it); the device token's stay in `wallet.dynamic_last4`.
            ch.payment_method_details["card"]["last4"] = json!(last4);
        }
        if let (Some(_), Some(last4)) = (&self.card_present, &approval.funding_last4) {
            // The same for a phone's token read at a terminal.
            ch.payment_method_details["card_present"]["last4"] = json!(last4);
        }
        let pi = &mut self.pi;
        pi.latest_charge = Some(ch.id.clone());
        let auto = pi.capture_method == CaptureMethod::Automatic;
        let mut unit = WriteUnit::default();
        if auto {
            pi.status = Status::Succeeded;
            pi.amount_received = pi.amount;
            post_capture(&scope, &rc.merchant, &mut ch, self.money, rc.now, &mut unit)?;
        } else {
            pi.status = Status::RequiresCapture;
            pi.amount_capturable = pi.amount;
        }
        let pi_doc = to_value(&*pi);
        let ch_doc = to_value(&ch);
        let pi_event = if auto {
            "payment_intent.succeeded"
        } else {
            "payment_intent.amount_capturable_updated"
        };
        unit.ops
            .push(insert(&scope, "charge", Some(&pi.id), &ch_doc, rc.now));
        unit.ops.push(update(&pi.id, self.pi_version, &pi_doc));
        unit.ops
            .push(event(&scope, "charge.succeeded", &ch_doc, key, rc.now));
        unit.ops.push(event(&scope, pi_event, &pi_doc, key, rc.now));
        if let (Some(cof), Some(card)) = (&self.credential_on_file, self.payment.card()) {
            let ntid = approval.network_transaction_id.as_deref();
            unit.ops
                .extend(cof.save_ops(&scope, card, ntid, (key, rc.now)));
        }
        Ok(Settled {
            ops: unit.ops,
            answer: Ok(Answer {
                primary: pi_doc,
                charge: Some(ch_doc),
            }),
            keep_attempt: false,
            undo: Some(Undo::Reverse {
                connector: self.connector.clone(),
                reference: approval.reference,
                amount: self.money,
            }),
            counter: Some(Counted::Payment(method, PaymentOutcome::Succeeded)),
        })
    }

    fn failed(
        mut self,
        rc: &RequestContext,
        refusal: Option<Refusal>,
        decline: Decline,
        reversing: bool,
    ) -> Settled {
        let method = self.method();
        let scope = rc.scope();
        let key = rc.idempotency_key();
        let processor = self.connector.counterparty();
        let payment = &self.payment;
        let mut ch = failed_charge(
            &self.pi,
            payment,
            processor,
            refusal.as_ref(),
            decline,
            rc.now,
        );
        self.method_details(&mut ch);
        // Every method's refusal is Stripe's 402 payment error with the method's own code.
        let mut err = ApiError::card(decline.code, Some(decline.decline_code), decline.message);
        if decline.code == "incorrect_cvc" {
            err.param = Some("cvc".into());
        }
        let mut last_error: Map<String, Value> = match err.body()["error"].clone() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        last_error.insert("charge".into(), json!(ch.id));
        last_error.insert("payment_method".into(), public(payment.pm().clone()));
        let pi = &mut self.pi;
        pi.status = Status::RequiresPaymentMethod;
        pi.last_payment_error = Some(Value::Object(last_error));
        pi.latest_charge = Some(ch.id.clone());
        pi.payment_method = None;
        let pi_doc = to_value(&*pi);
        let ch_doc = to_value(&ch);
        let err = err
            .with_extra("charge", json!(ch.id))
            .with_extra("payment_intent", public(pi_doc.clone()))
            .with_extra("payment_method", public(self.payment.pm().clone()));
        let ops = vec![
            insert(&scope, "charge", Some(&pi.id), &ch_doc, rc.now),
            update(&pi.id, self.pi_version, &pi_doc),
            event(&scope, "charge.failed", &ch_doc, key, rc.now),
            event(
                &scope,
                "payment_intent.payment_failed",
                &pi_doc,
                key,
                rc.now,
            ),
        ];
        Settled {
            ops,
            answer: Err(err),
            keep_attempt: reversing,
            undo: None,
            counter: Some(match reversing {
                true => Counted::Payment(method, PaymentOutcome::NetworkFailed),
                false => Counted::Declined(method, decline.decline_code),
            }),
        }
    }

    /// The payer must act before the authorization: the intent waits in `requires_action`
    /// with the connector's `next_action` until the payer comes back.
    fn requires_action(
        mut self,
        rc: &RequestContext,
        action: paygate_payments::NextAction,
    ) -> Settled {
        let method = self.method();
        let scope = rc.scope();
        let pi = &mut self.pi;
        pi.status = Status::RequiresAction;
        pi.next_action = Some(action);
        let pi_doc = to_value(&*pi);
        let key = rc.idempotency_key();
        Settled {
            ops: vec![
                update(&pi.id, self.pi_version, &pi_doc),
                event(
                    &scope,
                    "payment_intent.requires_action",
                    &pi_doc,
                    key,
                    rc.now,
                ),
            ],
            answer: Ok(Answer {
                primary: pi_doc,
                charge: None,
            }),
            keep_attempt: false,
            undo: None,
            counter: Some(Counted::Payment(method, PaymentOutcome::RequiresAction)),
        }
    }
}

/// Recovery of an authorization that may or may not have reached the counterparty: reverse it
/// (idempotent there) and put the intent back to `requires_payment_method` with a
/// `processing_error`. True when the request never stored its result.
pub async fn recover(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    payment_intent: &str,
    reference: &ConnectorRef,
    amount: Money,
    ops: &mut Vec<Op>,
) -> Result<bool, String> {
    let loaded =
        super::recovery::reverse_then_load(st, connector, scope, payment_intent, reference, amount)
            .await?;
    let Some((version, mut pi)) = loaded else {
        return Ok(false);
    };
    let now = st.now();
    pi.status = Status::RequiresPaymentMethod;
    pi.payment_method = None;
    pi.last_payment_error = Some(json!({
        "type": "card_error",
        "code": "processing_error",
        "decline_code": "processing_error",
        "message": "The payment was interrupted and has been reversed at the card network; no funds were taken. Please try again.",
    }));
    let doc = to_value(&pi);
    ops.push(update(&pi.id, version, &doc));
    ops.push(event(
        scope,
        "payment_intent.payment_failed",
        &doc,
        None,
        now,
    ));
    Ok(true)
}
