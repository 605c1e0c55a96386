//! `POST /v1/verify` (paygate → ISP server): the ten checks of the contract, in its order, the
//! first failure answering; a pass answers the card, ECI, authentication value and the
//! transaction id bound into it. Every verification is journaled, whatever its result.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use paygate_isp::{CardPayload, Expected, IspCheck, SignedData, cert, jwe, signature};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::http::{body, internal, ok, refusal};
use crate::journal::JournalEntry;
use crate::keys::{hex, random_id};
use crate::{Sim, issuer};

#[derive(Deserialize)]
struct VerifyRequest {
    certificate: String,
    signed_data: String,
    signature: String,
    card: String,
    expected: Expected,
}

/// What checks 1–9 established.
struct Passed {
    serial: String,
    card: CardPayload,
    signature_der: Vec<u8>,
    currency_numeric: u16,
}

/// The handler.
pub(crate) async fn verify(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Response {
    let mut entry = JournalEntry {
        at_ms: sim.now_ms(),
        kind: "verify".to_owned(),
        ..JournalEntry::default()
    };
    let req: VerifyRequest = match body(&bytes) {
        Ok(r) => r,
        Err(check) => return refused(&sim, entry, check),
    };
    entry.payment_intent = Some(req.expected.payment_intent.clone());
    entry.merchant = Some(req.expected.merchant.clone());
    entry.amount = Some(req.expected.amount);
    entry.currency = Some(req.expected.currency.clone());
    // An injected decline (run-time faults) refuses a verification that passed its checks.
    let injected = sim.faults.decline().and_then(IspCheck::from_code);
    let outcome = check(&sim, &req, &mut entry).and_then(|passed| match injected {
        Some(code) => Err(code),
        None => Ok(passed),
    });
    match outcome {
        Ok(passed) => verified(&sim, &req.expected, passed, entry),
        Err(check) => refused(&sim, entry, check),
    }
}

fn refused(sim: &Sim, mut entry: JournalEntry, check: IspCheck) -> Response {
    entry.result = check.code().to_owned();
    match sim.store.journal(&entry) {
        Ok(()) => refusal(check),
        Err(e) => internal(&e.to_string()),
    }
}

/// Checks 1–9.
fn check(sim: &Sim, req: &VerifyRequest, entry: &mut JournalEntry) -> Result<Passed, IspCheck> {
    let leaf = cert::parse_pem(&req.certificate).map_err(|_| IspCheck::CertificateInvalid)?;
    let key = cert::public_key(&leaf).map_err(|_| IspCheck::CertificateInvalid)?;
    let chain = [
        sim.keys.issuing.certificate.clone(),
        sim.keys.root.certificate.clone(),
    ];
    cert::verify_chain(&leaf, &chain).map_err(|_| IspCheck::CertificateUntrusted)?;
    let serial = cert::serial_hex(&leaf);
    entry.serial = Some(serial.clone());
    entry.card_ref = cert::subject_cn(&leaf);
    if !cert::is_valid_at(&leaf, SystemTime::now()) {
        return Err(IspCheck::CertificateExpired);
    }
    // Issued by this CA but unknown to the store: only if the database was replaced; such a
    // certificate is not one this server vouches for.
    let bound = sim
        .store
        .card(&serial)
        .map_err(|_| IspCheck::CertificateUntrusted)?
        .ok_or(IspCheck::CertificateUntrusted)?;
    if bound.revoked_at_ms.is_some() {
        return Err(IspCheck::CertificateRevoked);
    }
    let signature_der =
        signature::decode(&req.signature).map_err(|_| IspCheck::SignatureInvalid)?;
    signature::verify_der(&key, req.signed_data.as_bytes(), &signature_der)
        .map_err(|_| IspCheck::SignatureInvalid)?;
    let data = SignedData::parse(&req.signed_data).map_err(|_| IspCheck::SignedDataInvalid)?;
    if !data.matches(&req.expected) {
        return Err(IspCheck::SignedDataMismatch);
    }
    // A lowercase three-letter code no card network knows is not the shape either.
    let currency_numeric = paygate_ledger::Currency::parse(&data.currency)
        .map_err(|_| IspCheck::SignedDataInvalid)?
        .numeric();
    if !data.is_fresh_at(OffsetDateTime::now_utc()) {
        return Err(IspCheck::SignatureExpired);
    }
    let card = jwe::decrypt_card(&sim.keys.encryption, &sim.keys.kid, &req.card)
        .map_err(|_| IspCheck::CardInvalid)?;
    entry.last4 = Some(card.last4().to_owned());
    if sim.keys.fingerprint(&card.number) != bound.card_fingerprint {
        return Err(IspCheck::CardMismatch);
    }
    Ok(Passed {
        serial,
        card,
        signature_der,
        currency_numeric,
    })
}

/// Check 10 (replay) and the answer.
fn verified(sim: &Sim, expected: &Expected, passed: Passed, mut entry: JournalEntry) -> Response {
    let replayed = JournalEntry {
        result: IspCheck::SignatureReplayed.code().to_owned(),
        ..entry.clone()
    };
    let verification_id = random_id("ispv_");
    let transaction_id = uuid::Uuid::new_v4().to_string();
    let eci = issuer::eci(&passed.card.number);
    entry.result = "verified".to_owned();
    entry.verification_id = Some(verification_id.clone());
    entry.transaction_id = Some(transaction_id.clone());
    entry.eci = Some(eci.to_owned());
    let digest = hex(&Sha256::digest(&passed.signature_der));
    match sim.store.use_signature(&digest, &entry, &replayed) {
        Ok(true) => {}
        Ok(false) => return refusal(IspCheck::SignatureReplayed),
        Err(e) => return internal(&e.to_string()),
    }
    let card = &passed.card;
    let cavv = sim.keys.cavv(
        &card.number,
        expected.amount,
        passed.currency_numeric,
        &transaction_id,
        eci,
    );
    ok(&json!({
        "result": "verified",
        "verification_id": verification_id,
        "serial": passed.serial,
        "card": {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year},
        "eci": eci,
        "authentication_value": cavv,
        "transaction_id": transaction_id,
    }))
}
