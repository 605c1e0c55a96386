//! The posted steps: phone → SMS code → (register a card and a PIN: [`super::register`]) →
//! pay; remove a card.

use super::flow::{Form, Step, known_wallet};
use super::session::Session;
use super::{device_cookie, with_header};
use crate::easy_pay::audit::{AuditEvent, entry};
use crate::easy_pay::wallet::PinCheck;
use crate::easy_pay::{Phone, Wallet};
use crate::otp::{self, OtpError};
use crate::payer_flow::back_to_shop;
use axum::http::header;
use axum::response::Response;
use paygate_payer_pages::{MessageKind, Msg};

pub(super) fn ctx_of(s: &Step) -> (Option<&str>, Option<&str>) {
    (Some(s.pi.id.as_str()), Some(s.row.merchant_id.as_str()))
}

/// `phone`: a new code by SMS (rate-limited), then the code form.
pub(super) async fn phone(s: &Step, raw: &str) -> Response {
    let Some(phone) = Phone::parse(raw) else {
        return s.error(Msg::EpPhoneInvalid, Form::Phone);
    };
    let Some(sms) = s.st.sms.clone() else {
        return s.error(Msg::EpUnavailable, Form::Phone);
    };
    let Ok(mut session) = Session::load(&s.st, &s.row).await else {
        return s.error(Msg::EpTryAgain, Form::Phone);
    };
    let now = s.st.now();
    if let Err(OtpError::TooSoon { .. }) = otp::may_send(session.challenge.as_ref(), now) {
        return too_soon(s, &phone);
    }
    let key = phone.key(&s.st.vault);
    let subject = format!("{}|{key}", s.pi.id);
    let (code, challenge) = otp::issue(&s.st.vault, &subject, now);
    let text = format!("[paygate] 간편결제 인증번호 {code} (3분 이내 입력) / Easy Pay code {code}");
    let id = match sms.send(phone.digits(), &text).await {
        Ok(id) => id,
        Err(_) => {
            return s.error(Msg::EpSmsFailed, Form::Phone);
        }
    };
    session.phone_key = Some(key);
    session.phone_masked = Some(phone.masked());
    session.wallet_id = Some(phone.wallet_id(&s.st.vault, s.row.livemode));
    session.challenge = Some(challenge);
    session.verified = false;
    session.sms_ids.push(id);
    if let Err(r) = s.commit(vec![session.save(now)]).await {
        return r;
    }
    let masked = phone.masked();
    s.render(
        200,
        None,
        Form::Otp {
            phone_masked: &masked,
        },
    )
}

/// 429: a code was sent moments ago; the code form again.
fn too_soon(s: &Step, phone: &Phone) -> Response {
    let masked = phone.masked();
    s.render(
        429,
        Some((MessageKind::Error, Msg::EpTooSoon)),
        Form::Otp {
            phone_masked: &masked,
        },
    )
}

/// `otp`: the code; right → the pay form (known wallet) or the registration form.
pub(super) async fn otp(s: &Step, answer: &str) -> Response {
    let Ok(mut session) = Session::load(&s.st, &s.row).await else {
        return s.error(Msg::EpTryAgain, Form::Phone);
    };
    let (Some(key), Some(mut challenge)) = (session.phone_key.clone(), session.challenge.clone())
    else {
        return s.error(Msg::EpPhoneFirst, Form::Phone);
    };
    let now = s.st.now();
    let subject = format!("{}|{key}", s.pi.id);
    let result = challenge.verify(&s.st.vault, &subject, answer, now);
    session.challenge = Some(challenge);
    session.verified = result.is_ok();
    let masked = session.phone_masked.clone().unwrap_or_default();
    if let Err(r) = s.commit(vec![session.save(now)]).await {
        return r;
    }
    match result {
        Ok(()) => {}
        Err(OtpError::Wrong { .. } | OtpError::Malformed) => {
            return s.error(
                Msg::EpCodeWrong,
                Form::Otp {
                    phone_masked: &masked,
                },
            );
        }
        Err(OtpError::Expired) => {
            return s.error(Msg::EpCodeExpired, Form::Phone);
        }
        Err(_) => {
            return s.error(Msg::EpCodeInvalid, Form::Phone);
        }
    }
    let wallet_id = session.wallet_id.clone().unwrap_or_default();
    let cookie = device_cookie(&s.st, &wallet_id);
    let page = match Wallet::load(&s.st, &wallet_id).await {
        Ok(Some(w)) if !w.cards.is_empty() => s.render(200, None, Form::Pay { cards: &w.cards }),
        _ => s.render(200, None, Form::Register),
    };
    with_header(page, header::SET_COOKIE, &cookie)
}

/// Checks the PIN of the wallet this flow or device proved; Ok is the wallet after a right
/// PIN (failure count reset, not yet saved), Err the page to answer (failures saved).
pub(super) async fn unlock(s: &Step, given: &str) -> Result<Wallet, Response> {
    let Some(mut w) = known_wallet(s).await else {
        return Err(s.error(Msg::EpVerifyPhoneFirst, Form::Phone));
    };
    let now = s.st.now();
    let mut ops = Vec::new();
    let check = w.check_pin(given, now, ctx_of(s), &mut ops);
    if check == PinCheck::Ok {
        return Ok(w);
    }
    ops.push(w.save());
    s.commit(ops).await?;
    let text = match check {
        PinCheck::Locked { .. } => Msg::EpLocked,
        _ => Msg::EpPinWrong,
    };
    let status = if matches!(check, PinCheck::Locked { .. }) {
        423
    } else {
        400
    };
    Err(s.render(
        status,
        Some((MessageKind::Error, text)),
        Form::Pay { cards: &w.cards },
    ))
}

/// `pay`: the PIN and the card → the card engine's authorization → back to the shop.
pub(super) async fn pay(s: &Step, given: &str, choice: &str) -> Response {
    let mut w = match unlock(s, given).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Some(card) = w.card(Some(choice).filter(|c| !c.is_empty())).cloned() else {
        return s.error(Msg::EpChooseCard, Form::Pay { cards: &w.cards });
    };
    let now = s.st.now();
    if let Some(c) = w.cards.iter_mut().find(|c| c.id == card.id) {
        c.last_used = now;
    }
    if let Err(r) = s
        .commit(vec![
            w.save(),
            entry(&w, AuditEvent::PinAccepted, ctx_of(s), "payer", now),
        ])
        .await
    {
        return r;
    }
    let result = crate::methods::easy_pay::pay(&s.st, &s.row, &w, &card).await;
    if let Err(e) = &result {
        tracing::info!(payment_intent = %s.pi.id, code = e.code.unwrap_or(""), "easy_pay authorization refused");
    }
    match crate::payer_flow::load(&s.st, &s.pi.id).await {
        Some((_, pi)) => back_to_shop(&s.st, &pi, &s.ctx),
        None => s.error(Msg::EpTryAgain, Form::Phone),
    }
}

/// `remove_card`: the PIN, then the card leaves the wallet.
pub(super) async fn remove_card(s: &Step, given: &str, card: &str) -> Response {
    let mut w = match unlock(s, given).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let before = w.cards.len();
    w.cards.retain(|c| c.id != card);
    let now = s.st.now();
    let mut ops = vec![w.save()];
    if w.cards.len() < before {
        ops.push(entry(&w, AuditEvent::CardRemoved, ctx_of(s), "payer", now));
    }
    if let Err(r) = s.commit(ops).await {
        return r;
    }
    if w.cards.is_empty() {
        return s.render(
            200,
            Some((MessageKind::Success, Msg::EpCardRemovedRegister)),
            Form::Register,
        );
    }
    s.render(
        200,
        Some((MessageKind::Success, Msg::EpCardRemoved)),
        Form::Pay { cards: &w.cards },
    )
}
