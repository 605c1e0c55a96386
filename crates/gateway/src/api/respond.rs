//! How the HTTP shell renders the engine's answers: the public view of the stored object,
//! `expand[]` (the charge in hand is used for `latest_charge`, as it is not committed yet when
//! the body is built). The body built here is the one stored under the idempotency key; `http`
//! shows it (live or replayed) through the caller's view.

use crate::auth::Caller;
use crate::engine::{Answer, Respond};
use crate::error::ApiResult;
use crate::render::{expand, public};
use crate::state::AppState;
use paygate_payments::BoxFuture;
use serde_json::Value;

/// Renders answers for one caller with the request's `expand[]`.
pub struct Responder<'a> {
    pub st: &'a AppState,
    pub caller: &'a Caller,
    pub expands: Vec<String>,
}

impl Responder<'_> {
    /// Renders for the caller of `ctx` with `expand[]` paths `expands`.
    pub fn new(ctx: &crate::http::Ctx, expands: Vec<String>) -> Responder<'_> {
        Responder {
            st: &ctx.st,
            caller: &ctx.caller,
            expands,
        }
    }
}

impl Respond for Responder<'_> {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move {
            let body = public(answer.primary.clone());
            let body = match &answer.charge {
                Some(ch) => expand_with(self.st, self.caller, body, ch, &self.expands).await?,
                None => expand(self.st, self.caller, body, &self.expands).await?,
            };
            // A publishable key's client view is applied by `http` to every answer it sends.
            Ok(body)
        })
    }
}

/// Expands `latest_charge` from the in-hand charge, and any other path through the store.
async fn expand_with(
    st: &AppState,
    caller: &Caller,
    mut body: Value,
    ch_doc: &Value,
    expands: &[String],
) -> ApiResult<Value> {
    let mut rest = Vec::new();
    for e in expands {
        if e == "latest_charge" {
            body["latest_charge"] = public(ch_doc.clone());
        } else if let Some(sub) = e.strip_prefix("latest_charge.") {
            let ch = expand(st, caller, public(ch_doc.clone()), &[sub.to_string()]).await?;
            body["latest_charge"] = ch;
        } else {
            rest.push(e.clone());
        }
    }
    expand(st, caller, body, &rest).await
}
