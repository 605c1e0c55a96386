//! The carrier's rules, each a refusal with its own code: who may be billed (subscriber,
//! minors), how much (the monthly limit across merchants), the code (3 minutes, 5 wrong,
//! 3 resends) and cancellation (full only, same KST month only).

use rusqlite::Transaction;
use sha2::{Digest, Sha256};

use crate::store::{self, Payment, Status};
use crate::subscribers::{self, ADULT_AGE, Carrier};

/// How long a code is valid, in seconds.
pub const CODE_TTL_S: i64 = 180;
/// Wrong codes after which the payment is locked.
pub const MAX_WRONG_CODES: i64 = 5;
/// New codes a payment may ask for after the first.
pub const MAX_RESENDS: i64 = 3;
/// Largest single carrier-billing payment, KRW.
pub const MAX_AMOUNT: i64 = 1_000_000;

/// A refusal: HTTP status, code, message and the field it is about.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub param: Option<&'static str>,
}

impl Refusal {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
            param: None,
        }
    }

    pub fn param(mut self, p: &'static str) -> Refusal {
        self.param = Some(p);
        self
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Refusal {
        tracing::error!(error = %e, "carrier database error");
        Refusal::new(500, "carrier_server_error", "internal error")
    }
}

/// A new payment's request.
pub struct Start<'a> {
    pub merchant: &'a str,
    pub reference: &'a str,
    pub carrier: Carrier,
    pub phone: &'a str,
    pub birth_date: &'a str,
    pub amount: i64,
}

fn code_hash(payment: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{payment}:{code}").as_bytes()))
}

/// A keyed hash of the number (the key is the data directory's own): the limit is counted per
/// subscriber without the number in the database.
fn phone_key(tx: &Transaction<'_>, phone: &str) -> Result<String, Refusal> {
    let key = store::phone_key_secret(tx)?;
    Ok(hex::encode(Sha256::digest(
        format!("{key}:{phone}").as_bytes(),
    )))
}

/// A fresh 6-digit code.
pub fn new_code() -> Result<String, Refusal> {
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b)
            .map_err(|_| Refusal::new(500, "carrier_server_error", "no randomness"))?;
        let n = u32::from_le_bytes(b);
        // Rejection sampling keeps the six digits uniform.
        if n < u32::MAX - u32::MAX % 1_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// Checks the subscriber, age and limit, and records a payment waiting for `code`.
pub fn start(
    tx: &Transaction<'_>,
    s: &Start<'_>,
    code: &str,
    now: i64,
) -> Result<Payment, Refusal> {
    let masked = subscribers::masked(s.phone);
    let id = format!("cbp_{}", uuid::Uuid::now_v7().simple());
    let mut p = Payment {
        id,
        merchant: s.merchant.to_owned(),
        reference: s.reference.to_owned(),
        carrier: s.carrier.as_str().to_owned(),
        phone_key: phone_key(tx, s.phone)?,
        phone_masked: masked,
        amount: s.amount,
        status: Status::Failed,
        code_hash: String::new(),
        code_expires: now,
        wrong_codes: 0,
        resends: 0,
        created_at: now,
        charged_at: None,
        billing_month: None,
        canceled_at: None,
        monthly_limit: 0,
    };
    let refused = |p: &Payment, r: Refusal| -> Result<Payment, Refusal> {
        store::journal(tx, now, "refused", p, Some(r.code))?;
        Err(r)
    };
    let Some(sub) = subscribers::find(s.phone, s.carrier, s.birth_date) else {
        let r = Refusal::new(
            402,
            "mobile_subscriber_not_found",
            "No subscriber of this carrier has this phone number and birth date.",
        )
        .param("phone");
        return refused(&p, r);
    };
    if subscribers::age(sub.birth_date, now).is_none_or(|a| a < ADULT_AGE) {
        let r = Refusal::new(
            402,
            "mobile_minor_not_allowed",
            "Carrier billing is not available to subscribers under 19.",
        )
        .param("birth_date");
        return refused(&p, r);
    }
    p.monthly_limit = sub.monthly_limit;
    let month = subscribers::kst_month(now);
    if store::billed(tx, &p.phone_key, &month)? + s.amount > sub.monthly_limit {
        return refused(&p, limit_exceeded());
    }
    p.status = Status::CodeSent;
    p.code_hash = code_hash(&p.id, code);
    p.code_expires = now + CODE_TTL_S;
    store::insert(tx, &p)?;
    store::journal(tx, now, "code_sent", &p, None)?;
    Ok(p)
}

fn limit_exceeded() -> Refusal {
    Refusal::new(
        402,
        "mobile_monthly_limit_exceeded",
        "This payment would exceed the subscriber's monthly carrier billing limit.",
    )
    .param("amount")
}

fn load(tx: &Transaction<'_>, id: &str) -> Result<Payment, Refusal> {
    store::get(tx, id)?.ok_or_else(|| Refusal::new(404, "payment_not_found", "No such payment."))
}

/// A new code for a payment still waiting for one.
/// The number is not stored: the request names it again and it must be the payment's.
pub fn resend(
    tx: &Transaction<'_>,
    id: &str,
    phone: &str,
    code: &str,
    now: i64,
) -> Result<Payment, Refusal> {
    let mut p = load(tx, id)?;
    if phone_key(tx, phone)? != p.phone_key {
        return Err(
            Refusal::new(400, "parameter_invalid", "phone is not this payment's").param("phone"),
        );
    }
    if p.status != Status::CodeSent {
        return Err(Refusal::new(
            409,
            "payment_unexpected_state",
            "The payment waits for no code.",
        ));
    }
    if p.resends >= MAX_RESENDS {
        store::journal(
            tx,
            now,
            "refused",
            &p,
            Some("mobile_code_resend_limit_exceeded"),
        )?;
        return Err(Refusal::new(
            429,
            "mobile_code_resend_limit_exceeded",
            "No more codes can be sent for this payment.",
        ));
    }
    p.resends += 1;
    p.code_hash = code_hash(&p.id, code);
    p.code_expires = now + CODE_TTL_S;
    store::update(tx, &p)?;
    store::journal(tx, now, "code_resent", &p, None)?;
    Ok(p)
}

/// Checks the code the subscriber typed. A wrong code is refused with the attempts left in
/// the message; the fifth locks the payment.
pub fn verify(tx: &Transaction<'_>, id: &str, code: &str, now: i64) -> Result<Payment, Refusal> {
    let mut p = load(tx, id)?;
    match p.status {
        Status::CodeSent => {}
        Status::Verified => return Ok(p),
        Status::Failed => return Err(locked()),
        _ => {
            return Err(Refusal::new(
                409,
                "payment_unexpected_state",
                "The payment waits for no code.",
            ));
        }
    }
    if now >= p.code_expires {
        store::journal(tx, now, "code_expired", &p, Some("mobile_code_expired"))?;
        return Err(Refusal::new(
            400,
            "mobile_code_expired",
            "The code has expired: ask for a new one.",
        )
        .param("otp"));
    }
    if code_hash(&p.id, code) != p.code_hash {
        p.wrong_codes += 1;
        if p.wrong_codes >= MAX_WRONG_CODES {
            p.status = Status::Failed;
            store::update(tx, &p)?;
            store::journal(tx, now, "locked", &p, Some("mobile_code_attempts_exceeded"))?;
            return Err(locked());
        }
        store::update(tx, &p)?;
        store::journal(tx, now, "code_wrong", &p, Some("mobile_code_invalid"))?;
        let left = MAX_WRONG_CODES - p.wrong_codes;
        return Err(Refusal::new(
            400,
            "mobile_code_invalid",
            format!("The code is not correct ({left} attempts left)."),
        )
        .param("otp"));
    }
    p.status = Status::Verified;
    store::update(tx, &p)?;
    store::journal(tx, now, "verified", &p, None)?;
    Ok(p)
}

fn locked() -> Refusal {
    Refusal::new(
        402,
        "mobile_code_attempts_exceeded",
        "Five wrong codes: this payment can no longer be confirmed.",
    )
    .param("otp")
}

/// Charges a verified payment to this month's bill (the limit checked again: another
/// merchant may have billed the subscriber meanwhile). Charging a charged payment answers it
/// again (the gateway's retry).
pub fn charge(tx: &Transaction<'_>, id: &str, amount: i64, now: i64) -> Result<Payment, Refusal> {
    let mut p = load(tx, id)?;
    if p.status == Status::Charged {
        return Ok(p);
    }
    if p.status != Status::Verified {
        return Err(Refusal::new(
            409,
            "payment_not_verified",
            "The subscriber has not confirmed this payment with the code.",
        ));
    }
    if amount != p.amount {
        return Err(Refusal::new(
            400,
            "amount_mismatch",
            "The amount differs from the confirmed one.",
        )
        .param("amount"));
    }
    let month = subscribers::kst_month(now);
    if store::billed(tx, &p.phone_key, &month)? + p.amount > p.monthly_limit {
        p.status = Status::Failed;
        store::update(tx, &p)?;
        store::journal(
            tx,
            now,
            "charge_refused",
            &p,
            Some("mobile_monthly_limit_exceeded"),
        )?;
        return Err(limit_exceeded());
    }
    p.status = Status::Charged;
    p.charged_at = Some(now);
    p.billing_month = Some(month);
    store::update(tx, &p)?;
    store::journal(tx, now, "charged", &p, None)?;
    Ok(p)
}

/// Takes a charged payment off the bill: the full amount only, in the KST month it was billed
/// in. A payment never charged is voided (a reversal); a cancelled one answers again.
pub fn cancel(
    tx: &Transaction<'_>,
    id: &str,
    amount: Option<i64>,
    now: i64,
) -> Result<Payment, Refusal> {
    let mut p = load(tx, id)?;
    match p.status {
        Status::Canceled => return Ok(p),
        Status::CodeSent | Status::Verified | Status::Failed => {
            p.status = Status::Canceled;
            p.canceled_at = Some(now);
            store::update(tx, &p)?;
            store::journal(tx, now, "voided", &p, None)?;
            return Ok(p);
        }
        Status::Charged => {}
    }
    if amount.is_some_and(|a| a != p.amount) {
        store::journal(
            tx,
            now,
            "cancel_refused",
            &p,
            Some("partial_cancel_not_allowed"),
        )?;
        return Err(Refusal::new(
            400,
            "partial_cancel_not_allowed",
            "Carrier billing is cancelled in full only.",
        )
        .param("amount"));
    }
    if p.billing_month.as_deref() != Some(subscribers::kst_month(now).as_str()) {
        store::journal(
            tx,
            now,
            "cancel_refused",
            &p,
            Some("cancel_after_month_end"),
        )?;
        return Err(Refusal::new(
            400,
            "cancel_after_month_end",
            "The bill of that month is closed: it can no longer be cancelled at the carrier.",
        ));
    }
    p.status = Status::Canceled;
    p.canceled_at = Some(now);
    store::update(tx, &p)?;
    store::journal(tx, now, "canceled", &p, None)?;
    Ok(p)
}
