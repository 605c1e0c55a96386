//! The confirm of a method whose payer acts on a page of ours first (휴대폰 소액결제,
//! 계좌이체): KRW and automatic capture only, `return_url` required, then the intent waits
//! in `requires_action` (tag due at `now + requires_action_ttl_s`, so the sweeper cancels it
//! as abandoned) with `next_action.redirect_to_url` = the method's page and its token.

use super::{Confirm, PaymentMethodKind};
use crate::api::respond::Responder;
use crate::engine::{Answer, Respond};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::records::event;
use crate::state::AppState;
use crate::three_ds::confirm::write_intent;
use paygate_payer_pages::{CsrfError, Purpose};
use paygate_payments::{CaptureMethod, NextAction, PaymentIntentStatus as Status};
use paygate_store::WriteUnit;
use serde_json::Value;

/// A method's page: its API name, its token purpose and its path under `/pay/`.
#[derive(Clone, Copy, Debug)]
pub struct PayerPage {
    /// The method (`mobile_carrier`, `bank_transfer`).
    pub method: PaymentMethodKind,
    pub purpose: Purpose,
    /// What the payer does there, for the `return_url` error ("the carrier page").
    pub place: &'static str,
}

impl PayerPage {
    /// The page token `t` for `payment_intent`, valid until `expires_at`.
    pub fn token(&self, st: &AppState, payment_intent: &str, expires_at: i64) -> String {
        st.pages
            .csrf
            .issue(self.purpose, payment_intent, expires_at)
    }

    /// Checks a page token for `payment_intent` at `now`.
    pub fn verify(
        &self,
        st: &AppState,
        token: &str,
        payment_intent: &str,
        now: i64,
    ) -> Result<(), CsrfError> {
        st.pages
            .csrf
            .verify(token, self.purpose, payment_intent, now)
    }

    /// `/pay/{method}/{payment_intent}`.
    pub fn path(&self, payment_intent: &str) -> String {
        format!("/pay/{}/{payment_intent}", self.method.as_str())
    }
}

/// Confirms `c` for `page`: `requires_action` until the payer finished on the page.
pub async fn confirm(ctx: &mut Ctx, c: Confirm, page: PayerPage) -> ApiResult<Value> {
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &[page.method.as_str()])?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
    }
    let respond = Responder::new(ctx, c.expands.clone());
    let rc = &ctx.rc;
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    krw_automatic(&pi, page.method.as_str())?;
    let Some(return_url) = pi.return_url.clone() else {
        return Err(ApiError::invalid(
            "return_url",
            "parameter_missing",
            format!(
                "Missing required param: return_url. A {} payment redirects the customer to \
                 {}: give the return_url they come back to.",
                page.method.as_str(),
                page.place
            ),
        ));
    };
    if let Some(finish) = crate::three_ds::finish_transaction(&pi) {
        ops.push(finish);
    }
    let due = rc.now + rc.st.cfg.requires_action_ttl_s;
    let token = page.token(&rc.st, &pi.id, due);
    let url = rc.st.pages.url(&format!("{}?t={token}", page.path(&pi.id)));
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::redirect(url, Some(return_url)));
    pi.three_ds = None;
    pi.payment_method = None;
    pi.last_payment_error = None;
    let doc = crate::models::to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, Some(due));
    ops.push(event(
        &rc.scope(),
        "payment_intent.requires_action",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let body = respond
        .body(&Answer {
            primary: doc,
            charge: None,
        })
        .await?;
    rc.commit_requires_action(WriteUnit { ops }, body, page.method)
        .await
}

/// The method charges KRW at once: `currency=krw`, `capture_method=automatic`.
fn krw_automatic(pi: &crate::models::PaymentIntent, method: &str) -> ApiResult<()> {
    let money = pi.money()?;
    if !money.currency().code().eq_ignore_ascii_case("krw") {
        return Err(ApiError::invalid(
            "currency",
            "parameter_invalid",
            format!("{method} payments are made in Korean won: currency must be krw."),
        ));
    }
    if pi.capture_method != CaptureMethod::Automatic {
        return Err(ApiError::invalid(
            "capture_method",
            "parameter_invalid",
            format!("{method} payments are charged at once: capture_method must be automatic."),
        ));
    }
    Ok(())
}
