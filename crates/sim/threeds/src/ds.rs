//! The Directory Server: card ranges (PReq → PRes), AReq validation and routing to the ACS of
//! the card's range (a PAN in no range is answered U, reason 08, by the DS itself), and the
//! RReq relay from the ACS to the AReq's `threeDSServerURL`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;

use crate::erro::{Component, Erro, ErrorCode};
use crate::messages::{self, ARes, CardRange, PRes, RReq, RReqAnswer, TransStatus, VERSION};
use crate::{Sim, acs, areq, cards, fields, http};

/// Serial number of the card-range table (it never changes while the simulator runs).
const SERIAL_NUM: &str = "1";

/// `POST /ds/preq`.
pub(crate) async fn preq(body: Bytes) -> Response {
    let map = match fields::check(&body, "PReq", areq::PREQ_TABLE) {
        Ok(map) => map,
        Err(erro) => return http::json(&erro),
    };
    let ranges = cards::CARDS
        .iter()
        .map(|c| CardRange {
            start_range: c.pan.to_owned(),
            end_range: c.pan.to_owned(),
            action_ind: "A",
            acs_start_protocol_version: VERSION,
            acs_end_protocol_version: VERSION,
            acs_info_ind: c.acs_info_ind.to_vec(),
        })
        .collect();
    http::json(&PRes {
        message_type: "PRes",
        message_version: VERSION,
        three_ds_server_trans_id: fields::text(&map, "threeDSServerTransID"),
        ds_trans_id: uuid::Uuid::new_v4().to_string(),
        serial_num: SERIAL_NUM.to_owned(),
        card_range_data: ranges,
    })
}

/// `POST /ds/areq`: ARes or Erro, always HTTP 200.
pub(crate) async fn areq(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let areq = match areq::parse(&body) {
        Ok(a) => a,
        Err(erro) => return http::json(&erro),
    };
    let ds_trans_id = uuid::Uuid::new_v4().to_string();
    let Some(card) = cards::lookup(areq.acct_number.expose()) else {
        return http::json(&not_enrolled(&areq, ds_trans_id));
    };
    if let Some(status) = sim.faults.decline().and_then(TransStatus::parse) {
        // An injected decline (faults at run time): the ACS is not asked.
        let mut ares = not_enrolled(&areq, ds_trans_id);
        ares.trans_status = status;
        ares.trans_status_reason = Some(messages::reason::AUTHENTICATION_FAILED);
        return http::json(&ares);
    }
    match acs::authenticate(&sim, &areq, &ds_trans_id, card) {
        Ok(ares) => http::json(&ares),
        Err(e) => {
            tracing::error!(error = %e, "ACS could not record the transaction");
            http::json(
                &Erro::new(Component::Ds, ErrorCode::SystemFailure, "ACS", "AReq").with_ids(
                    Some(&areq.three_ds_server_trans_id),
                    Some(&ds_trans_id),
                    None,
                ),
            )
        }
    }
}

/// The DS's own ARes for a PAN in no card range: U, reason 08 (no card record).
fn not_enrolled(areq: &areq::AReq, ds_trans_id: String) -> ARes {
    ARes {
        message_type: "ARes",
        message_version: VERSION,
        three_ds_server_trans_id: areq.three_ds_server_trans_id.clone(),
        ds_trans_id,
        acs_trans_id: uuid::Uuid::new_v4().to_string(),
        acs_reference_number: messages::ACS_REFERENCE_NUMBER,
        acs_operator_id: messages::ACS_OPERATOR_ID,
        ds_reference_number: messages::DS_REFERENCE_NUMBER,
        trans_status: TransStatus::U,
        trans_status_reason: Some(messages::reason::NO_CARD_RECORD),
        eci: None,
        authentication_value: None,
        acs_challenge_mandated: None,
        acs_url: None,
        authentication_type: None,
    }
}

/// Relays an RReq to the 3DS Server at `url`; what became of it, for the journal:
/// `rres` (RRes resultsStatus 01), `erro NNN`, `http NNN`, `invalid answer` or `failed: …`.
pub(crate) async fn relay_rreq(sim: &Sim, url: &str, rreq: &RReq) -> String {
    let sent = sim.http.post(url).json(rreq).send().await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return format!("failed: {}", without_url(&e)),
    };
    let status = resp.status();
    if !status.is_success() {
        return format!("http {}", status.as_u16());
    }
    match resp.json::<RReqAnswer>().await {
        Ok(a)
            if a.message_type.as_deref() == Some("RRes")
                && a.results_status.as_deref() == Some("01") =>
        {
            "rres".to_owned()
        }
        Ok(a) if a.message_type.as_deref() == Some("Erro") => {
            format!("erro {}", a.error_code.as_deref().unwrap_or("-"))
        }
        Ok(_) | Err(_) => "invalid answer".to_owned(),
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}
