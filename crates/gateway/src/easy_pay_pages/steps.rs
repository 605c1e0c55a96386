//! The posted steps: phone → SMS code → (register a card and a PIN) → pay; remove a card.

use super::flow::{Step, back_to_shop, known_wallet};
use super::session::Session;
use super::view::Form;
use super::{device_cookie, with_header};
use crate::easy_pay::audit::{AuditEvent, entry};
use crate::easy_pay::pin;
use crate::easy_pay::wallet::PinCheck;
use crate::easy_pay::{Phone, Wallet};
use crate::engine::{CardVerification, Verification, verify_card};
use crate::otp::{self, OtpError};
use axum::http::header;
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::MessageKind;
use paygate_vault::{Cvc, Expiry, Pan};
use std::collections::HashMap;

pub(super) fn ctx_of(s: &Step) -> (Option<&str>, Option<&str>) {
    (Some(s.pi.id.as_str()), Some(s.row.merchant_id.as_str()))
}

/// `phone`: a new code by SMS (rate-limited), then the code form.
pub(super) async fn phone(s: &Step, raw: &str) -> Response {
    let Some(phone) = Phone::parse(raw) else {
        return s.error(
            s.t(
                "Enter a mobile number like 010-1234-5678.",
                "010-1234-5678 형식의 휴대폰 번호를 입력하세요.",
            ),
            Form::Phone,
        );
    };
    let Some(sms) = s.st.sms.clone() else {
        return s.error(
            s.t(
                "Easy Pay is not available.",
                "간편결제를 사용할 수 없습니다.",
            ),
            Form::Phone,
        );
    };
    let Ok(mut session) = Session::load(&s.st, &s.row).await else {
        return s.error(s.t("Please try again.", "다시 시도해 주세요."), Form::Phone);
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
            return s.error(
                s.t(
                    "The text message could not be sent. Please try again.",
                    "문자를 보내지 못했습니다. 다시 시도해 주세요.",
                ),
                Form::Phone,
            );
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
        Some((
            MessageKind::Error,
            s.t(
                "A code was sent moments ago; wait 30 seconds before asking again.",
                "방금 인증번호를 보냈습니다. 30초 후에 다시 요청하세요.",
            ),
        )),
        Form::Otp {
            phone_masked: &masked,
        },
    )
}

/// `otp`: the code; right → the pay form (known wallet) or the registration form.
pub(super) async fn otp(s: &Step, answer: &str) -> Response {
    let Ok(mut session) = Session::load(&s.st, &s.row).await else {
        return s.error(s.t("Please try again.", "다시 시도해 주세요."), Form::Phone);
    };
    let (Some(key), Some(mut challenge)) = (session.phone_key.clone(), session.challenge.clone())
    else {
        return s.error(
            s.t(
                "Enter your mobile number first.",
                "먼저 휴대폰 번호를 입력하세요.",
            ),
            Form::Phone,
        );
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
                s.t("The code is wrong.", "인증번호가 틀렸습니다."),
                Form::Otp {
                    phone_masked: &masked,
                },
            );
        }
        Err(OtpError::Expired) => {
            return s.error(
                s.t(
                    "The code has expired: ask for a new one.",
                    "인증번호가 만료되었습니다. 다시 받으세요.",
                ),
                Form::Phone,
            );
        }
        Err(_) => {
            return s.error(
                s.t(
                    "The code is no longer valid: ask for a new one.",
                    "인증번호가 더 이상 유효하지 않습니다. 다시 받으세요.",
                ),
                Form::Phone,
            );
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

/// `register`: a card (checked against the card rules) and a new PIN → the wallet, then pay.
pub(super) async fn register(s: &Step, form: &HashMap<String, String>) -> Response {
    let f = |k: &str| form.get(k).map(String::as_str).unwrap_or_default().trim();
    let Ok(session) = Session::load(&s.st, &s.row).await else {
        return s.error(s.t("Please try again.", "다시 시도해 주세요."), Form::Phone);
    };
    let (true, Some(wallet_id), Some(masked)) = (
        session.verified,
        session.wallet_id.clone(),
        session.phone_masked.clone(),
    ) else {
        return s.error(
            s.t(
                "Verify your mobile number first.",
                "먼저 휴대폰 번호를 인증하세요.",
            ),
            Form::Phone,
        );
    };
    let (pan, expiry, cvc) = match registration(s, f) {
        Ok(card) => card,
        Err(text) => return s.error(text, Form::Register),
    };
    if let Err(text) = verify_at_issuer(s, &pan, &expiry, &cvc).await {
        return s.error(text, Form::Register);
    }
    let now = s.st.now();
    let mut w = match wallet_to_fill(s, &wallet_id, masked, f("pin"), now).await {
        Ok(w) => w,
        Err(Some(full)) => return s.render(200, None, Form::Pay { cards: &full.cards }),
        Err(None) => {
            return s.error(
                s.t("Please try again.", "다시 시도해 주세요."),
                Form::Register,
            );
        }
    };
    let Ok(vault_op) = w.add_card(&s.st, pan, expiry, now) else {
        return s.error(
            s.t(
                "No more cards can be added.",
                "더 이상 카드를 등록할 수 없습니다.",
            ),
            Form::Register,
        );
    };
    let ctx = ctx_of(s);
    let ops = vec![
        vault_op,
        w.save(),
        entry(&w, AuditEvent::PhoneVerified, ctx, "payer", now),
        entry(&w, AuditEvent::PinSet, ctx, "payer", now),
        entry(&w, AuditEvent::CardAdded, ctx, "payer", now),
    ];
    if let Err(r) = s.commit(ops).await {
        return r;
    }
    let done = s.t(
        "Card registered. Enter your PIN to pay.",
        "카드가 등록되었습니다. 비밀번호를 입력해 결제하세요.",
    );
    s.render(
        200,
        Some((MessageKind::Success, done)),
        Form::Pay { cards: &w.cards },
    )
}

/// The wallet a registration fills: a new one with `pin`, or one whose cards were all
/// removed (the proved phone and the new card set its PIN again). Err(Some) is a wallet that
/// still has cards (nothing to register: pay), Err(None) a failure.
async fn wallet_to_fill(
    s: &Step,
    id: &str,
    masked: String,
    pin_text: &str,
    now: i64,
) -> Result<Wallet, Option<Wallet>> {
    match Wallet::load(&s.st, id).await {
        Ok(Some(w)) if !w.cards.is_empty() => Err(Some(w)),
        Ok(Some(mut w)) => {
            w.pin_hash = pin::hash(pin_text).map_err(|_| None)?;
            Ok(w)
        }
        Ok(None) => Wallet::new(id, masked, s.row.livemode, pin_text, now).map_err(|_| None),
        Err(_) => Err(None),
    }
}

/// The registration form's PIN (checked against the weak-PIN rules) and card (the card
/// rules: Luhn, expiry, CVC format); Err is the reason to show with the form again.
fn registration<'a>(
    s: &Step,
    f: impl Fn(&str) -> &'a str,
) -> Result<(Pan, Expiry, Cvc), &'static str> {
    if let Err(rule) = pin::check_new(f("pin"), f("pin_confirmation")) {
        let text = match rule {
            pin::PinRule::Mismatch => s.t("The two PINs differ.", "비밀번호가 서로 다릅니다."),
            pin::PinRule::NotSixDigits => s.t(
                "The PIN must be 6 digits.",
                "비밀번호는 숫자 6자리여야 합니다.",
            ),
            pin::PinRule::Repeated | pin::PinRule::Run => s.t(
                "This PIN is too easy to guess: no repeated digit, no run like 123456.",
                "추측하기 쉬운 비밀번호입니다. 같은 숫자 반복이나 연속 숫자는 쓸 수 없습니다.",
            ),
        };
        return Err(text);
    }
    let card = Pan::parse(f("card_number")).and_then(|pan| {
        let month = f("exp_month").parse().unwrap_or(0);
        let exp = Expiry::new(month, f("exp_year").parse().unwrap_or(0))?;
        let cvc = Cvc::parse(f("cvc"), pan.brand())?;
        Ok((pan, exp, cvc))
    });
    let Ok((pan, expiry, cvc)) = card else {
        return Err(s.t(
            "Check the card number, expiry and security code.",
            "카드 번호, 유효기간, 보안코드를 확인하세요.",
        ));
    };
    if expiry.is_expired_at(crate::cards::current_year(), crate::cards::current_month()) {
        return Err(s.t("This card has expired.", "유효기간이 지난 카드입니다."));
    }
    Ok((pan, expiry, cvc))
}

/// Checks the PIN of the wallet this flow or device proved; Ok is the wallet after a right
/// PIN (failure count reset, not yet saved), Err the page to answer (failures saved).
pub(super) async fn unlock(s: &Step, given: &str) -> Result<Wallet, Response> {
    let Some(mut w) = known_wallet(s).await else {
        return Err(s.error(
            s.t(
                "Verify your mobile number first.",
                "먼저 휴대폰 번호를 인증하세요.",
            ),
            Form::Phone,
        ));
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
        PinCheck::Locked { .. } => s.t(
            "Too many wrong PINs: the wallet is locked for 30 minutes.",
            "비밀번호를 5회 틀려 30분간 잠겼습니다.",
        ),
        _ => s.t("The PIN is wrong.", "비밀번호가 틀렸습니다."),
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
        return s.error(
            s.t("Choose a card.", "카드를 선택하세요."),
            Form::Pay { cards: &w.cards },
        );
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
    match super::load(&s.st, &s.pi.id).await {
        Some((_, pi)) => back_to_shop(&s.st, &pi, &s.ctx),
        None => s.error(s.t("Please try again.", "다시 시도해 주세요."), Form::Phone),
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
            Some((
                MessageKind::Success,
                s.t(
                    "Card removed. Register a card to pay.",
                    "카드를 삭제했습니다. 결제할 카드를 등록하세요.",
                ),
            )),
            Form::Register,
        );
    }
    s.render(
        200,
        Some((
            MessageKind::Success,
            s.t("Card removed.", "카드를 삭제했습니다."),
        )),
        Form::Pay { cards: &w.cards },
    )
}

/// The issuer's account verification of a card being registered (ISO 8583 0100, amount 0,
/// with the CVC, stored credential "initial"); Err is the reason to show.
pub(super) async fn verify_at_issuer(
    s: &Step,
    pan: &Pan,
    expiry: &Expiry,
    cvc: &Cvc,
) -> Result<(), &'static str> {
    let currency = Currency::parse(&s.pi.currency).unwrap_or(Currency::KRW);
    let card = CardVerification {
        merchant_id: &s.row.merchant_id,
        pan,
        expiry,
        cvc: Some(cvc),
        currency,
        authentication: None,
        store_for_later: true,
    };
    match verify_card(&s.st, &card).await {
        Ok(Verification::Verified { .. }) => Ok(()),
        Ok(declined) => {
            let code = declined
                .error()
                .and_then(|e| e.code)
                .unwrap_or("card_declined");
            tracing::info!(payment_intent = %s.pi.id, code, "easy_pay card registration declined");
            Err(match code {
                "incorrect_cvc" => s.t("The security code is wrong.", "보안코드가 틀렸습니다."),
                "expired_card" => s.t("This card has expired.", "유효기간이 지난 카드입니다."),
                "authentication_required" => s.t(
                    "This card needs 3-D Secure, which wallet registration does not offer yet: use another card.",
                    "이 카드는 안심클릭 인증이 필요해 지금은 간편결제에 등록할 수 없습니다. 다른 카드를 쓰세요.",
                ),
                _ => s.t("The card issuer declined this card.", "카드사에서 이 카드를 거절했습니다."),
            })
        }
        Err(_) => Err(s.t(
            "The card could not be checked. Please try again.",
            "카드를 확인하지 못했습니다. 다시 시도해 주세요.",
        )),
    }
}
