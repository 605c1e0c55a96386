//! A deposit into a virtual account (가상계좌), in the engine's phases. The bank speaks first
//! here: its notice (입금통보) is the counterparty's message, and the link acknowledges it only
//! after this operation committed, so the bank sends it again until then.
//!
//! 1. **record** — the recovery record (`AttemptRecord::Deposit`) with the notice;
//! 2. **call** — nothing when the intent awaits deposits (the money is already at the bank);
//!    when its intent no longer does (canceled by the merchant) and the account is still
//!    open, the bank is told to close it, which returns every deposit to the payer;
//! 3. **settle** — the writes of [`crate::virtual_accounts::funding`]: the account, the
//!    intent (`amount_remaining` down and `payment_intent.partially_funded`, or `succeeded`
//!    with its charge), the ledger entry and balance transaction of the deposit, events.
//!
//! A deposit that pays the account in full counts as a `virtual_account` payment that
//! succeeded (`paygate_payments_total`); one finished by crash recovery counts as its
//! recovery action (`finish_deposit`) instead.
//!
//! A notice delivered twice counts once: the account lists the bank's deposit ids, and two
//! copies racing conflict on the account's version (the loser is not acknowledged, and its
//! next delivery finds the deposit recorded).

use super::{Answer, Phases, Recorded, RequestContext, Respond, Settled};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::methods::PaymentMethodKind;
use crate::metrics::{Counted, PaymentOutcome};
use crate::models::{PaymentIntent, from_value};
use crate::render::public;
use crate::state::AppState;
use crate::virtual_accounts::funding::{self, Fate, Incoming, Stored};
use crate::virtual_accounts::{VaStatus, VirtualAccount};
use paygate_connector_bank::DepositNotice;
use paygate_ledger::Counterparty;
use paygate_payments::intent::allowed;
use paygate_payments::{AttemptRecord, BoxFuture, IntentOp};
use paygate_store::{MerchantRow, Scope};
use serde_json::Value;

/// The deposit of a notice, with the stored objects it changes.
struct DepositPhases {
    notice: Incoming,
    stored: Option<Stored>,
    merchant: MerchantRow,
}

struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

/// Loads the account and its intent.
async fn load(st: &AppState, scope: &Scope, va_id: &str) -> ApiResult<Option<Stored>> {
    let Some(va_row) = st.store.get_object(scope, va_id).await? else {
        return Ok(None);
    };
    let va: VirtualAccount = from_value(va_row.data)?;
    let pi_row = st
        .store
        .get_object(scope, &va.payment_intent)
        .await?
        .ok_or_else(|| ApiError::internal("virtual account without its intent"))?;
    let pi: PaymentIntent = from_value(pi_row.data)?;
    let session = crate::checkout::delayed::session_of(st, scope, &pi).await?;
    Ok(Some(Stored {
        va,
        va_version: va_row.version,
        pi,
        pi_version: pi_row.version,
        session,
    }))
}

/// Records the deposit of `notice` (once); Ok means the link may acknowledge it.
pub async fn receive(st: &crate::state::SharedState, notice: DepositNotice) -> ApiResult<()> {
    let va_id = VirtualAccount::id_of(&notice.account_number);
    let row =
        st.store.find_object(&va_id).await?.ok_or_else(|| {
            ApiError::internal(format!("deposit notice for unknown account {va_id}"))
        })?;
    let scope = Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    };
    let stored = load(st, &scope, &va_id)
        .await?
        .ok_or_else(|| ApiError::internal("virtual account vanished"))?;
    if stored.va.has_deposit(&notice.deposit_id) {
        return Ok(());
    }
    if stored.va.payment_intent != notice.order_ref {
        return Err(ApiError::internal(
            "deposit notice names another order than its account",
        ));
    }
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the account's merchant is missing"))?;
    let rc = RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant.clone(),
        row.livemode,
        None,
    );
    let phases = DepositPhases {
        notice: Incoming {
            id: notice.deposit_id,
            amount: notice.amount,
            depositor: notice.depositor,
            deposited_at: notice.deposited_at,
        },
        stored: Some(stored),
        merchant,
    };
    super::run(&rc, &Plain, phases).await.map(|_| ())
}

/// What the bank did for a deposit whose intent no longer awaits it.
async fn fate(st: &AppState, s: &Stored) -> Result<Fate, String> {
    if s.va.status != VaStatus::Open {
        return Ok(Fate::AlreadyReturned);
    }
    if allowed(s.pi.status, IntentOp::Deposit) {
        return Ok(Fate::Keep);
    }
    let bank = st.bank.as_ref().ok_or("no bank connector")?;
    let returned = bank
        .close(&s.va.bank_code, &s.va.account_number)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Fate::ReturnedAll { returned })
}

impl Phases for DepositPhases {
    type Reply = Result<Fate, String>;

    fn record(&mut self, _rc: &RequestContext) -> ApiResult<Recorded> {
        let s = self
            .stored
            .as_ref()
            .ok_or_else(|| ApiError::internal("deposit without its account"))?;
        Ok(Recorded {
            ops: Vec::new(),
            attempt_id: format!("{}:deposit", self.notice.id),
            attempt: AttemptRecord::Deposit {
                payment_intent: s.pi.id.clone(),
                virtual_account: s.va.id.clone(),
                deposit_id: self.notice.id.clone(),
                amount: self.notice.amount,
                depositor: self.notice.depositor.clone(),
                deposited_at: self.notice.deposited_at,
                processor: Some(Counterparty::Bank),
            },
        })
    }

    fn call<'a>(&'a mut self, rc: &'a RequestContext) -> BoxFuture<'a, Self::Reply> {
        Box::pin(async move {
            match &self.stored {
                Some(s) => fate(&rc.st, s).await,
                None => Err("deposit without its account".into()),
            }
        })
    }

    fn settle(self, rc: &RequestContext, reply: Self::Reply) -> BoxFuture<'_, ApiResult<Settled>> {
        Box::pin(async move {
            let fate = reply.map_err(|e| ApiError::service_unavailable("bank_unavailable", e))?;
            let stored = self
                .stored
                .ok_or_else(|| ApiError::internal("deposit without its account"))?;
            let funded = funding::writes(
                &rc.scope(),
                &self.merchant,
                stored,
                self.notice,
                fate,
                rc.now,
            )?;
            let paid =
                Counted::Payment(PaymentMethodKind::VirtualAccount, PaymentOutcome::Succeeded);
            Ok(Settled {
                ops: funded.ops,
                answer: Ok(Answer {
                    primary: funded.doc,
                    charge: None,
                }),
                keep_attempt: false,
                undo: None,
                counter: funded.paid.then_some(paid),
            })
        })
    }
}

/// Recovery of a deposit whose outcome was not committed: the same writes from the record
/// (nothing when the deposit was recorded meanwhile, by a redelivered notice).
pub async fn recover(
    st: &AppState,
    scope: &Scope,
    record: &AttemptRecord,
    ops: &mut Vec<paygate_store::Op>,
) -> Result<bool, String> {
    let AttemptRecord::Deposit {
        virtual_account,
        deposit_id,
        amount,
        depositor,
        deposited_at,
        ..
    } = record
    else {
        return Ok(false);
    };
    let detail = super::recovery::detail;
    let Some(stored) = load(st, scope, virtual_account).await.map_err(detail)? else {
        return Err(format!("virtual account {virtual_account} not found"));
    };
    if stored.va.has_deposit(deposit_id) {
        return Ok(false);
    }
    let merchant = st
        .merchant(&scope.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the account's merchant is missing")?;
    let fate = fate(st, &stored).await?;
    let incoming = Incoming {
        id: deposit_id.clone(),
        amount: *amount,
        depositor: depositor.clone(),
        deposited_at: *deposited_at,
    };
    let funded =
        funding::writes(scope, &merchant, stored, incoming, fate, st.now()).map_err(detail)?;
    tracing::info!(deposit = %deposit_id, "finished an interrupted virtual-account deposit");
    ops.extend(funded.ops);
    Ok(false)
}
