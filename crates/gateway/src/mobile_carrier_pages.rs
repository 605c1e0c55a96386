//! The 휴대폰 소액결제 page under `/pay/mobile_carrier/{pi}` — plain HTML forms, no script
//! (`paygate_payer_pages::carrier_page`):
//!
//! - `GET /pay/mobile_carrier/{pi}?t=…[&locale=ko|en]` — `next_action.redirect_to_url.url` of a
//!   `mobile_carrier` intent; `t` is its page token (`Purpose::MobileCarrierPage`).
//! - `POST` with `t` and `step`: `start` (`carrier`, `phone`, `birth_date`, `consent`: the
//!   carrier checks the subscriber and sends the code) → `otp` (the carrier checks it, then the
//!   engine charges the bill) → 303 to the shop's `return_url`; `resend` (`phone`).
//!
//! The flow's state is an object `mcs_{pi}` of kind [`SESSION_KIND`] in the merchant's scope:
//! the carrier's payment id, the carrier and the masked number — never the number or a code.

use crate::easy_pay::Phone;
use crate::methods::mobile_carrier::pay::{self, Confirmed};
use crate::metrics::links::Link;
use crate::pages::respond;
use crate::payer_flow::{FlowKind, FlowPage, back_to_shop, load};
use crate::state::SharedState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use paygate_connector_carrier::client::StartRequest;
use paygate_connector_carrier::{CarrierClient, CarrierError, refusal};
use paygate_payer_pages::{self as pp, CarrierForm, CarrierPageView, MessageKind, Msg};
use paygate_store::{ObjectRow, Op, Scope, WriteUnit};
use serde::{Deserialize, Serialize};

/// Object kind of a flow.
pub const SESSION_KIND: &str = "mobile_carrier_session";

/// The page's routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/mobile_carrier/{id}", get(show).post(submit))
        .with_state(state)
}

/// One intent's carrier flow.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Session {
    transaction: String,
    carrier: String,
    phone_masked: String,
    phone_last4: String,
    /// Keyed hash of the number (`Phone::key`): the session's tag, which
    /// `GET /v1/test_helpers/sms_messages` finds the merchant's messages by.
    #[serde(default)]
    phone_key: String,
    /// The SMS gateway's ids of the messages the carrier sent the codes in.
    #[serde(default)]
    sms_ids: Vec<String>,
}

/// The carrier page: a payer flow page of the intent ([`FlowPage`]) and the carrier's client.
struct Step {
    page: FlowPage,
    carrier: CarrierClient,
}

impl Step {
    /// A call to the carrier (a code step), measured as the carrier link's.
    async fn call<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.st.metrics.links.measure(Link::MobileCarrier, f).await
    }
}

impl std::ops::Deref for Step {
    type Target = FlowPage;

    fn deref(&self) -> &FlowPage {
        &self.page
    }
}

/// What the carrier page is, for [`FlowPage::open`].
const KIND: FlowKind = FlowKind {
    path: "/pay/mobile_carrier",
    title: Msg::McTitle,
    verify: crate::methods::mobile_carrier::verify_page_token,
};

impl Step {
    fn render(&self, status: u16, notice: Option<Msg>, form: CarrierForm<'_>) -> Response {
        let shop = self.shop();
        let view = CarrierPageView {
            summary: &self.summary,
            action: &self.action,
            shop: shop.as_ref(),
            token: &self.token,
            notice: notice.map(|m| (MessageKind::Error, m)),
            form,
        };
        respond(pp::carrier_page(&self.ctx, status, &view))
    }

    fn scope(&self) -> Scope {
        Scope {
            merchant_id: self.row.merchant_id.clone(),
            livemode: self.row.livemode,
        }
    }

    async fn session(&self) -> Option<(i64, Session)> {
        let id = format!("mcs_{}", self.pi.id);
        let row = self.st.store.get_object(&self.scope(), &id).await.ok()??;
        Some((row.version, serde_json::from_value(row.data).ok()?))
    }

    async fn save(&self, s: &Session) -> Result<(), Response> {
        let id = format!("mcs_{}", self.pi.id);
        let data = serde_json::to_value(s).unwrap_or_default();
        let op = match self.session().await {
            Some((version, _)) => Op::UpdateObject {
                id,
                expected_version: version,
                data,
                tag: Some(s.phone_key.clone()),
                due: None,
            },
            None => Op::InsertObject(ObjectRow {
                id,
                merchant_id: self.row.merchant_id.clone(),
                livemode: self.row.livemode,
                kind: SESSION_KIND.into(),
                parent: Some(self.pi.id.clone()),
                tag: Some(s.phone_key.clone()),
                due: None,
                created: self.st.now(),
                version: 1,
                data,
            }),
        };
        let unit = WriteUnit { ops: vec![op] };
        self.st.store.commit(unit).await.map(|_| ()).map_err(|e| {
            tracing::error!(payment_intent = %self.pi.id, error = %e, "carrier page commit failed");
            self.render(500, Some(Msg::McCarrierError), CarrierForm::Start)
        })
    }

    /// The carrier refused for good: the intent fails with its code; the payer sees why and
    /// the way back to the shop.
    async fn refused(&self, code: &str) -> Response {
        let decline = refusal::decline(code);
        if let Err(e) = pay::fail(&self.st, &self.row, decline).await {
            tracing::error!(payment_intent = %self.pi.id, error = %e.message, "could not fail the intent");
        }
        let l = self.ctx.locale;
        let link = self.pi.return_url.as_deref().and_then(|u| {
            let status = pp::RedirectStatus::Failed;
            let href = pp::return_url(u, &self.pi.id, &self.pi.client_secret, status).ok()?;
            Some(pp::Link {
                label: Msg::McBackToShop.text(l).to_owned(),
                href,
            })
        });
        let text = refusal_msg(code).text(l);
        let mut p = pp::message(
            &self.ctx,
            MessageKind::Error,
            Msg::McTitle.text(l),
            text,
            link.as_ref(),
        );
        p.status = 402;
        respond(p)
    }
}

/// The page's text for a carrier code.
fn refusal_msg(code: &str) -> Msg {
    match code {
        "mobile_subscriber_not_found" => Msg::McSubscriberNotFound,
        "mobile_minor_not_allowed" => Msg::McMinor,
        "mobile_monthly_limit_exceeded" => Msg::McLimit,
        "mobile_code_invalid" => Msg::McCodeInvalid,
        "mobile_code_expired" => Msg::McCodeExpired,
        "mobile_code_attempts_exceeded" => Msg::McCodeLocked,
        "mobile_code_resend_limit_exceeded" => Msg::McResendLimit,
        "parameter_invalid" => Msg::McInvalidInput,
        _ => Msg::McDeclined,
    }
}

/// The page ([`FlowPage::open`]) with the carrier's client; `None` without one.
fn step(page: FlowPage) -> Option<Step> {
    let carrier = page.st.carrier.clone()?;
    Some(Step { page, carrier })
}

/// `GET /pay/mobile_carrier/{id}?t=…`.
async fn show(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = (raw.as_deref(), &headers);
    match FlowPage::open_query(&st, &KIND, &id, request, step).await {
        Ok(s) => match s.session().await {
            Some((_, sess)) => s.render(
                200,
                None,
                CarrierForm::Code {
                    phone_masked: &sess.phone_masked,
                },
            ),
            None => s.render(200, None, CarrierForm::Start),
        },
        Err(r) => r,
    }
}

/// `POST /pay/mobile_carrier/{id}`: one step.
async fn submit(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = (raw.as_deref(), &headers, &body[..]);
    let (s, form) = match FlowPage::open_form(&st, &KIND, &id, request, step).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    match field("step") {
        "start" => {
            start(
                &s,
                field("carrier"),
                field("phone"),
                field("birth_date"),
                field("consent"),
            )
            .await
        }
        "otp" => otp(&s, field("otp")).await,
        "resend" => resend(&s, field("phone")).await,
        _ => s.render(400, Some(Msg::McInvalidInput), CarrierForm::Start),
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

async fn start(s: &Step, carrier: &str, phone: &str, birth_date: &str, consent: &str) -> Response {
    if consent != "yes" {
        return s.render(400, Some(Msg::McConsentRequired), CarrierForm::Start);
    }
    let phone = digits(phone);
    let req = StartRequest {
        merchant: &s.row.merchant_id,
        reference: &s.pi.id,
        amount: s.pi.amount,
        carrier,
        phone: &phone,
        birth_date: birth_date.trim(),
    };
    match s.call(s.carrier.start(&req)).await {
        Ok(p) => {
            let last4 = p.phone_last4.unwrap_or_default();
            let sess = Session {
                transaction: p.id,
                carrier: p.carrier,
                phone_masked: format!("•••-••••-{last4}"),
                phone_last4: last4,
                phone_key: Phone::parse(&phone).map_or_else(String::new, |n| n.key(&s.st.vault)),
                sms_ids: p.sms_id.into_iter().collect(),
            };
            if let Err(r) = s.save(&sess).await {
                return r;
            }
            s.render(
                200,
                None,
                CarrierForm::Code {
                    phone_masked: &sess.phone_masked,
                },
            )
        }
        Err(CarrierError::Refused { code, .. }) if code == "parameter_invalid" => {
            s.render(400, Some(Msg::McInvalidInput), CarrierForm::Start)
        }
        Err(CarrierError::Refused { code, .. }) => s.refused(&code).await,
        Err(CarrierError::Unavailable(why)) => {
            tracing::warn!(payment_intent = %s.pi.id, error = %why, "carrier unavailable");
            s.render(503, Some(Msg::McCarrierError), CarrierForm::Start)
        }
    }
}

async fn otp(s: &Step, code: &str) -> Response {
    let Some((_, sess)) = s.session().await else {
        return s.render(400, None, CarrierForm::Start);
    };
    let form = CarrierForm::Code {
        phone_masked: &sess.phone_masked,
    };
    match s
        .call(s.carrier.verify(&sess.transaction, code.trim()))
        .await
    {
        Ok(_) => {}
        Err(CarrierError::Refused { code, .. }) if code == "mobile_code_attempts_exceeded" => {
            return s.refused(&code).await;
        }
        Err(CarrierError::Refused { code, .. }) => {
            return s.render(400, Some(refusal_msg(&code)), form);
        }
        Err(CarrierError::Unavailable(_)) => return s.render(503, Some(Msg::McCarrierError), form),
    }
    let confirmed = Confirmed {
        carrier: &sess.carrier,
        transaction: &sess.transaction,
        phone_last4: &sess.phone_last4,
    };
    let result = pay::pay(&s.st, &s.row, &confirmed).await;
    if let Err(e) = &result
        && e.status.is_server_error()
    {
        return s.render(503, Some(Msg::McCarrierError), form);
    }
    // Paid or refused: the intent says which; the shop gets the payer back either way.
    match load(&s.st, &s.pi.id).await {
        Some((_, pi)) => back_to_shop(&s.st, &pi, &s.ctx),
        None => back_to_shop(&s.st, &s.pi, &s.ctx),
    }
}

async fn resend(s: &Step, phone: &str) -> Response {
    let Some((_, mut sess)) = s.session().await else {
        return s.render(400, None, CarrierForm::Start);
    };
    match s
        .call(s.carrier.resend(&sess.transaction, &digits(phone)))
        .await
    {
        Ok(p) => {
            sess.sms_ids.extend(p.sms_id);
            if let Err(r) = s.save(&sess).await {
                return r;
            }
            let form = CarrierForm::Code {
                phone_masked: &sess.phone_masked,
            };
            s.render(200, None, form)
        }
        Err(e) => {
            let form = CarrierForm::Code {
                phone_masked: &sess.phone_masked,
            };
            match e {
                CarrierError::Refused { code, .. } if code == "parameter_invalid" => {
                    s.render(400, Some(Msg::McWrongPhone), form)
                }
                CarrierError::Refused { code, .. } => s.render(400, Some(refusal_msg(&code)), form),
                CarrierError::Unavailable(_) => s.render(503, Some(Msg::McCarrierError), form),
            }
        }
    }
}
