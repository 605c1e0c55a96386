//! `POST /v1/enroll` `{"csr","card","password_set":true}` → `{"certificate","serial"}`:
//! checks the request (password set, CSR and its self-signature, the card JWE), asks the
//! issuer's rules, then issues a cardholder certificate whose subject is a fresh opaque card
//! reference and binds reference ↔ keyed PAN fingerprint ↔ serial ↔ certificate.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use paygate_isp::ca::{Role, random_serial};
use paygate_isp::{CardPayload, IspCheck, cert, csr, jwe};
use serde::Deserialize;
use serde_json::json;

use crate::http::{body, internal, ok, refusal};
use crate::journal::JournalEntry;
use crate::keys::{hex, random_id};
use crate::store::CardRow;
use crate::{Sim, issuer};

#[derive(Deserialize)]
struct EnrollRequest {
    csr: String,
    card: String,
    #[serde(default)]
    password_set: bool,
}

/// The handler.
pub(crate) async fn enroll(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Response {
    let mut entry = JournalEntry {
        at_ms: sim.now_ms(),
        kind: "enroll".to_owned(),
        ..JournalEntry::default()
    };
    match check(&sim, &bytes, &mut entry) {
        Ok((key, card)) => issue(&sim, &key, &card, entry),
        Err(refused) => {
            entry.result = refused.code().to_owned();
            if let Err(e) = sim.store.journal(&entry) {
                return internal(&e.to_string());
            }
            refusal(refused)
        }
    }
}

type Checked = (paygate_isp::p256::ecdsa::VerifyingKey, CardPayload);

/// The checks, in order: body, password_set, CSR, card JWE, issuer rules.
fn check(sim: &Sim, bytes: &[u8], entry: &mut JournalEntry) -> Result<Checked, IspCheck> {
    let req: EnrollRequest = body(bytes)?;
    if !req.password_set {
        return Err(IspCheck::PasswordNotSet);
    }
    let key = csr::parse_and_verify(&req.csr).map_err(|_| IspCheck::CsrInvalid)?;
    let card = jwe::decrypt_card(&sim.keys.encryption, &sim.keys.kid, &req.card)
        .map_err(|_| IspCheck::CardInvalid)?;
    entry.last4 = Some(card.last4().to_owned());
    if !issuer::enrols(&card, sim.clock_yymm()) {
        return Err(IspCheck::CardDeclined);
    }
    Ok((key, card))
}

/// Issues the certificate and records the binding with its journal line.
fn issue(
    sim: &Sim,
    key: &paygate_isp::p256::ecdsa::VerifyingKey,
    card: &CardPayload,
    mut entry: JournalEntry,
) -> Response {
    let serial = match random_serial() {
        Ok(s) => s,
        Err(e) => return internal(&e.to_string()),
    };
    let card_ref = random_id("ispc_");
    let issued = sim.keys.issuing.certify(
        &format!("CN={card_ref}"),
        Role::Cardholder,
        key,
        &serial,
        SystemTime::now(),
        sim.certificate_lifetime,
    );
    let pem = match issued.and_then(|c| cert::to_pem(&c)) {
        Ok(pem) => pem,
        Err(e) => return internal(&e.to_string()),
    };
    let row = CardRow {
        serial: hex(&serial),
        card_ref,
        card_fingerprint: sim.keys.fingerprint(&card.number),
        last4: card.last4().to_owned(),
        certificate: pem,
        created_at_ms: entry.at_ms,
        revoked_at_ms: None,
    };
    entry.result = "issued".to_owned();
    entry.serial = Some(row.serial.clone());
    entry.card_ref = Some(row.card_ref.clone());
    if let Err(e) = sim.store.enrolled(&row, &entry) {
        return internal(&e.to_string());
    }
    ok(&json!({"certificate": row.certificate, "serial": row.serial}))
}
