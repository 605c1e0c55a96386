//! The seed corpus: real inputs of every target, written by `paygate-fuzz seed` into
//! `corpus/<target>/` (checked in). Messages are built with the same codecs and field
//! layouts the gateway and the simulators use; EMV data comes from the public test vectors
//! (`../shared/vectors/emv/tlv_vectors.json`, constructed, checked with pyemv).

use paygate_iso8583::{Message, Profile};
use serde_json::json;
use std::path::Path;

/// Every seed as (target, file name, bytes).
pub fn seeds(vectors: &Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let de55 = de55_from_vectors(vectors);
    for (name, msg) in iso_messages(&de55) {
        for (target, profile) in [
            ("iso8583_ascii", Profile::Ascii),
            ("iso8583_binary", Profile::Binary),
        ] {
            if let Ok(bytes) = paygate_iso8583::encode(&msg, profile.spec()) {
                out.push((target, format!("{name}.bin"), bytes.clone()));
                let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&bytes);
                out.push((
                    "network_frame",
                    format!("{name}-{}.bin", profile.name()),
                    framed,
                ));
            }
        }
    }
    out.push(("emv_tlv", "de55.bin".into(), de55.clone()));
    out.push((
        "emv_tlv",
        "constructed.bin".into(),
        hex::decode("70075A054111111111").unwrap_or_default(),
    ));
    for (name, body) in forms() {
        out.push(("http_form", format!("{name}.txt"), body.into_bytes()));
    }
    for (name, body) in jsons() {
        out.push(("http_json", format!("{name}.json"), body.into_bytes()));
    }
    for (name, body) in three_ds() {
        out.push((
            "three_ds_messages",
            format!("{name}.json"),
            body.into_bytes(),
        ));
    }
    for (name, body) in isp() {
        out.push(("isp_signed_data", format!("{name}.txt"), body.into_bytes()));
    }
    out.push(("isp_jwe", "card.jwe".into(), isp_jwe().into_bytes()));
    for (name, body) in de48_de90() {
        out.push(("de48_de90", format!("{name}.txt"), body.into_bytes()));
    }
    out.extend(crate::wallet_targets::seeds());
    out.extend(bank_telegrams());
    out.push(("card_present", "de55.bin".into(), de55));
    out.push((
        "card_present",
        "mst-track2.txt".into(),
        b"4895370012345678=30122010004201234567".to_vec(),
    ));
    out.push(("webhook_signature", "signed.txt".into(), webhook_signed()));
    out
}

/// Telegrams the gateway writes (an issue, a notice's answer) and reads (a deposit notice),
/// framed and bare, from the gateway's own writer.
fn bank_telegrams() -> Vec<(&'static str, String, Vec<u8>)> {
    use paygate_connector_bank::wire::{self, Kind, Telegram};
    let telegram = |kind, is_answer, body: &[(&'static str, &str)]| Telegram {
        kind,
        is_answer,
        trace: 42,
        bank: "004".into(),
        sent_at: "20261202200355".into(),
        resp: "0000".into(),
        body: body.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    };
    let samples = [
        (
            "issue",
            telegram(
                Kind::Issue,
                false,
                &[
                    ("order_ref", "pi_0123"),
                    ("amount", "50000"),
                    ("expires_at", "20261209235959"),
                    ("holder", "페이게이트"),
                ],
            ),
        ),
        (
            "issue-answer",
            telegram(
                Kind::Issue,
                true,
                &[("account_no", "0041234567890"), ("order_ref", "pi_0123")],
            ),
        ),
        (
            "notice",
            telegram(
                Kind::Notice,
                false,
                &[
                    ("account_no", "0041234567890"),
                    ("deposit_id", "dep_0001"),
                    ("order_ref", "pi_0123"),
                    ("amount", "20000"),
                    ("remaining", "30000"),
                    ("depositor", "홍길동"),
                    ("deposited_at", "20261202201000"),
                ],
            ),
        ),
        (
            "notice-answer",
            telegram(Kind::Notice, true, &[("deposit_id", "dep_0001")]),
        ),
        ("echo", telegram(Kind::Echo, false, &[])),
    ];
    let mut out = Vec::new();
    for (name, t) in samples {
        let Ok(bytes) = wire::write(&t) else { continue };
        if let Ok(framed) = paygate_telegram::frame::encode(&bytes) {
            out.push(("bank_telegram", format!("{name}-framed.bin"), framed));
        }
        out.push(("bank_telegram", format!("{name}.bin"), bytes));
    }
    out
}

/// A header line and its body, as a webhook receiver gets them.
fn webhook_signed() -> Vec<u8> {
    let body =
        br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}"#;
    let header = paygate_gateway::webhooks::signature_header("whsec_fuzz", 1_700_000_000, body);
    let mut out = header.into_bytes();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn de55_from_vectors(vectors: &Path) -> Vec<u8> {
    let path = vectors.join("emv/tlv_vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    hex::decode(v["de55_hex"].as_str().unwrap_or_default()).unwrap_or_default()
}

fn message(mti: &str, fields: &[(u8, &[u8])]) -> Message {
    let mut m = Message::new(mti).expect("a valid MTI");
    for (de, value) in fields {
        m.set(*de, value.to_vec());
    }
    m
}

fn iso_messages(de55: &[u8]) -> Vec<(&'static str, Message)> {
    let de48 = paygate_network::card::de48::encode(&[
        (42, "05"),
        (43, "kJMZRiDunhPsBwAU0hu9rrx0eWN6"),
        (44, "9b880dc0-d2d2-4067-bcb1-b08d1690b26e"),
    ])
    .unwrap_or_default();
    let auth = message(
        "0100",
        &[
            (2, b"4242424242424242"),
            (3, b"000000"),
            (4, b"000000010000"),
            (7, b"1202110355"),
            (11, b"000123"),
            (12, b"110355"),
            (14, b"3012"),
            (22, b"812"),
            (41, b"TERM0001"),
            (42, b"MERCHANT0000001"),
            (48, de48.as_bytes()),
            (49, b"410"),
        ],
    );
    let mut emv = auth.clone();
    emv.set(22, b"071".to_vec());
    emv.set(55, de55.to_vec());
    let answer = message(
        "0110",
        &[
            (3, b"000000"),
            (4, b"000000010000"),
            (11, b"000123"),
            (37, b"533611000123"),
            (38, b"A1B2C3"),
            (39, b"00"),
        ],
    );
    let reversal = message(
        "0400",
        &[
            (3, b"000000"),
            (4, b"000000010000"),
            (11, b"000124"),
            (90, b"010000012312021103550000000000000000000000"),
        ],
    );
    let echo = message("0800", &[(7, b"1202110355"), (11, b"000125"), (70, b"301")]);
    vec![
        ("auth", auth),
        ("auth-emv", emv),
        ("answer", answer),
        ("reversal", reversal),
        ("echo", echo),
    ]
}

fn forms() -> Vec<(&'static str, String)> {
    vec![
        ("payment_intent", "amount=10000&currency=krw&confirm=true&payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2030&payment_method_data[card][cvc]=123&metadata[order]=A-1&payment_method_types[]=card".into()),
        ("refund", "payment_intent=pi_0123&amount=500&reason=requested_by_customer&metadata[a]=%EA%B0%80".into()),
        ("nested", "a[b][c][d][e]=1&a[b][c][f][]=2&a[b][c][f][]=3&expand[]=data.charges".into()),
    ]
}

fn jsons() -> Vec<(&'static str, String)> {
    vec![
        ("payment_intent", json!({"amount": 10000, "currency": "krw", "confirm": true, "payment_method_data": {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030}}, "metadata": {"k": "v"}}).to_string()),
        ("webhook_endpoint", json!({"url": "https://example.com/hook", "enabled_events": ["payment_intent.succeeded", "charge.refunded"]}).to_string()),
    ]
}

fn three_ds() -> Vec<(&'static str, String)> {
    let ids = json!({
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "dsTransID": "9b880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsTransID": "ab880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "messageVersion": "2.2.0"
    });
    let merge = |extra: serde_json::Value| {
        let mut v = ids.clone();
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v.to_string()
    };
    vec![
        ("ares_y", merge(json!({"messageType": "ARes", "acsReferenceNumber": "ACS-REF-1", "acsOperatorID": "ACS-OP-1", "dsReferenceNumber": "DS-REF-1", "transStatus": "Y", "eci": "05", "authenticationValue": "kJMZRiDunhPsBwAU0hu9rrx0eWN6"}))),
        ("ares_c", merge(json!({"messageType": "ARes", "acsReferenceNumber": "ACS-REF-1", "acsOperatorID": "ACS-OP-1", "dsReferenceNumber": "DS-REF-1", "transStatus": "C", "acsURL": "http://127.0.0.1:7400/acs/challenge", "acsChallengeMandated": "N", "authenticationType": "01"}))),
        ("rreq", merge(json!({"messageType": "RReq", "messageCategory": "01", "transStatus": "Y", "eci": "05", "authenticationValue": "kJMZRiDunhPsBwAU0hu9rrx0eWN6", "authenticationType": "01", "interactionCounter": "01"}))),
        ("cres", merge(json!({"messageType": "CRes", "transStatus": "Y", "challengeCompletionInd": "Y"}))),
        ("pres", json!({"messageType": "PRes", "messageVersion": "2.2.0", "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e", "serialNum": "1", "cardRangeData": [{"startRange": "4000000000000000", "endRange": "4999999999999999", "actionInd": "A", "acsStartProtocolVersion": "2.1.0", "acsEndProtocolVersion": "2.2.0"}]}).to_string()),
        ("erro", merge(json!({"messageType": "Erro", "errorCode": "203", "errorComponent": "D", "errorDescription": "bad", "errorDetail": "eci", "errorMessageType": "AReq"}))),
    ]
}

fn isp() -> Vec<(&'static str, String)> {
    vec![
        ("signed_data", r#"{"payment_intent":"pi_01","merchant":"acct_01","amount":10000,"currency":"krw","signed_at":"2026-12-02T11:00:00Z"}"#.into()),
        ("card_payload", r#"{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}"#.into()),
        ("signature", "MEUCIQDd8mWZ1e0l7Jw2nq0Yg3F3uTq7sK5F0m1cC3c1r8v9QgIgS1pF2q8G7r5dP4nZ4Y5bJq3k8Fh2c1d0aA9s8Q7b6c5=".into()),
        ("pem", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2V0aWZpY2F0ZS1zZXJpYWwwCgYIKoZIzj0EAwIwEjEQ\nMA4GA1UEAwwHSVNQIENBMB4XDTI2MTIwMjAwMDAwMFoXDTI3MTIwMjAwMDAwMFow\n-----END CERTIFICATE-----\n".into()),
    ]
}

fn isp_jwe() -> String {
    // header.encrypted_key(empty for ECDH-ES).iv.ciphertext.tag, the shape the ISP page sends.
    let header = r#"{"alg":"ECDH-ES","enc":"A256GCM","kid":"isp-2026","epk":{"kty":"EC","crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}}"#;
    let b64 = |b: &[u8]| {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut s = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                s.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        s
    };
    format!(
        "{}..{}.{}.{}",
        b64(header.as_bytes()),
        b64(&[7; 12]),
        b64(&[9; 48]),
        b64(&[1; 16])
    )
}

fn de48_de90() -> Vec<(&'static str, String)> {
    vec![
        (
            "de48",
            paygate_network::card::de48::encode(&[
                (42, "05"),
                (43, "kJMZRiDunhPsBwAU0hu9rrx0eWN6"),
                (45, "isp"),
                (46, "I"),
            ])
            .unwrap_or_default(),
        ),
        ("de90", "010000012312021103550000000000000000000000".into()),
    ]
}
