//! The terminals' TCP listener: frames in, one request at a time per connection, each run in a
//! task of its own so that a terminal that hangs up mid-payment does not cut the payment off
//! between the network and the commit of its outcome (it reverses on its timeout instead).

use super::answer::Answer;
use super::purchase::{purchase, request_key};
use super::terminal_request::{FormatError, digits};
use super::terminals;
use crate::state::SharedState;
use bytes::BytesMut;
use paygate_iso8583::{Message, Profile};
use paygate_network::frame::{self, FrameReader};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// DE 39: the terminal is not registered, or not to the merchant its DE 42 names.
pub const INVALID_MERCHANT: &str = "03";
/// DE 39: a request the host does not support.
pub const INVALID_TRANSACTION: &str = "12";
/// DE 39: a field is missing or malformed.
pub const FORMAT_ERROR: &str = "30";
/// DE 39: the host could not process the request (its store failed).
pub const SYSTEM_MALFUNCTION: &str = "96";

/// Fields of a request echoed in its answer.
const ECHOED: [u8; 10] = [3, 4, 7, 11, 12, 13, 41, 42, 49, 90];

/// Accepts terminal connections until the process ends.
pub async fn serve(st: SharedState, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let st = st.clone();
                tokio::spawn(async move { connection(st, stream).await });
            }
            Err(e) => tracing::warn!(error = %e, "terminal accept failed"),
        }
    }
}

async fn connection(st: SharedState, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut frames = FrameReader::new(read);
    let spec = Profile::Ascii.spec();
    while let Ok(Some(body)) = frames.read_frame().await {
        let Ok(msg) = paygate_iso8583::decode(&body, spec) else {
            tracing::warn!("undecodable terminal message dropped");
            continue;
        };
        let st = st.clone();
        let Ok(Some(resp)) = tokio::spawn(async move { handle(&st, &msg).await }).await else {
            continue;
        };
        let Ok(wire) = paygate_iso8583::encode(&resp, spec) else {
            continue;
        };
        let mut out = BytesMut::new();
        if frame::encode_into(&wire, &mut out).is_err() || write.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// The response MTI: function digit 0 → 1 (0200 → 0210).
fn response_mti(mti: &str) -> Option<String> {
    let b = mti.as_bytes();
    (b.len() == 4 && b[2] == b'0').then(|| format!("{}1{}", &mti[..2], &mti[3..]))
}

fn respond(req: &Message, code: &str, answer: Option<&Answer>) -> Option<Message> {
    let mut resp = Message::new(&response_mti(req.mti())?).ok()?;
    for de in ECHOED {
        if let Some(v) = req.get(de) {
            resp.set(de, v);
        }
    }
    if let Some(a) = answer {
        if let Some(rrn) = &a.rrn {
            resp.set_str(37, rrn);
        }
        if let Some(code) = &a.approval_code {
            resp.set_str(38, code);
        }
        if let Some(icc) = &a.icc {
            resp.set_str(55, icc);
        }
    }
    resp.set_str(39, code);
    Some(resp)
}

/// One request: its answer, or `None` when none is to be sent now.
pub async fn handle(st: &SharedState, msg: &Message) -> Option<Message> {
    if msg.mti() == "0800" {
        return respond(msg, "00", None);
    }
    let terminal_id = msg.get_str(41).unwrap_or_default();
    let terminal = match terminals::find(&st.store, terminal_id).await {
        // DE 42, when the terminal sends it, must be its merchant's.
        Ok(Some(t)) if msg.get_str(42).is_none_or(|m| m == t.merchant_id) => t,
        Ok(_) => {
            tracing::warn!(terminal_id, "request from an unknown terminal refused");
            return respond(msg, INVALID_MERCHANT, None);
        }
        Err(e) => {
            tracing::error!(error = %e, "terminal lookup failed");
            return respond(msg, SYSTEM_MALFUNCTION, None);
        }
    };
    let merchant = match st.store.get_merchant(&terminal.merchant).await {
        Ok(Some(m)) => m,
        _ => return respond(msg, INVALID_MERCHANT, None),
    };
    let name = digits(msg, 11, "DE 11", 6)
        .and_then(|stan| digits(msg, 7, "DE 7", 10).map(|at| request_key(&terminal, stan, at)));
    let key = match name {
        Ok(key) => key,
        Err(FormatError(field)) => {
            tracing::warn!(field, "terminal request with a format error");
            return respond(msg, FORMAT_ERROR, None);
        }
    };
    let processing = msg.get_str(3).unwrap_or_default();
    match (msg.mti(), processing.get(..2)) {
        ("0200", Some("00")) => match purchase(st, &terminal, merchant, msg, key).await {
            Ok(Some(a)) => respond(msg, &a.response_code.clone(), Some(&a)),
            Ok(None) => None,
            Err(FormatError(field)) => {
                tracing::warn!(field, "terminal purchase with a format error");
                respond(msg, FORMAT_ERROR, None)
            }
        },
        ("0200", Some("20")) => {
            match super::refund::refund(st, &terminal, merchant, msg, key).await {
                Ok(Some((code, rrn))) => {
                    let mut resp = respond(msg, &code, None)?;
                    if let Some(rrn) = rrn {
                        resp.set_str(37, &rrn);
                    }
                    Some(resp)
                }
                Ok(None) => None,
                Err(FormatError(field)) => {
                    tracing::warn!(field, "terminal refund with a format error");
                    respond(msg, FORMAT_ERROR, None)
                }
            }
        }
        ("0500", _) => {
            let currency = msg
                .get_str(49)
                .and_then(|c| c.parse().ok())
                .and_then(paygate_ledger::Currency::from_numeric);
            let Some(currency) = currency else {
                return respond(msg, FORMAT_ERROR, None);
            };
            match super::totals::totals(st, &terminal, currency.code()).await {
                Ok(de48) => {
                    let mut resp = respond(msg, "00", None)?;
                    resp.set_str(48, &de48);
                    Some(resp)
                }
                Err(e) => {
                    tracing::error!(error = %e, "end-of-day totals failed");
                    respond(msg, SYSTEM_MALFUNCTION, None)
                }
            }
        }
        ("0400", _) => match super::reversal::reverse(st, &terminal, merchant, msg).await {
            Ok(Some(code)) => respond(msg, code, None),
            Ok(None) => None,
            Err(field) => {
                tracing::warn!(field, "terminal reversal with a format error");
                respond(msg, FORMAT_ERROR, None)
            }
        },
        _ => respond(msg, INVALID_TRANSACTION, None),
    }
}
