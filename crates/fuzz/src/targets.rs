//! The fuzz targets: every parser of input that comes from outside the process, with the
//! property each must keep. A target panics when a property breaks; the runner catches the
//! panic and keeps the input as a crash.
//!
//! Properties beyond "does not panic":
//! - codecs round-trip: what decodes re-encodes, and the re-encoding decodes to the same value;
//! - frames: a frame found is exactly as long as its header says, never beyond the buffer;
//! - request bodies: a refusal names the parameter it refuses.

use bytes::BytesMut;
use paygate_iso8583::{Profile, tlv};

/// One parser under test.
pub struct Target {
    /// The name used on the command line and as the corpus directory.
    pub name: &'static str,
    /// What input it parses, for `paygate-fuzz list`.
    pub about: &'static str,
    /// Runs the parser on one input and checks its properties (panics on a violation).
    pub check: fn(&[u8]),
    /// Inputs the CI test runs (a debug build): fewer for the targets whose inputs reach
    /// public-key operations (an RSA or ECDH private-key operation per input).
    pub ci_execs: u64,
}

/// The CI budget of a target whose inputs are cheap.
const CI_EXECS: u64 = 20_000;
/// The CI budget of a target whose inputs reach an RSA / ECDH private-key operation.
const CI_EXECS_PUBLIC_KEY: u64 = 2_000;

/// Every target, in the order `all` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "iso8583_ascii",
        about: "ISO 8583 messages from the network link, pyiso8583 default_ascii profile",
        check: iso8583_ascii,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "iso8583_binary",
        about: "ISO 8583 messages, binary profile (raw bitmaps, DE 52/55/64/128)",
        check: iso8583_binary,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "emv_tlv",
        about: "EMV BER-TLV of DE 55 (ICC data)",
        check: emv_tlv,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "network_frame",
        about: "the 2-byte length header framing of the network link",
        check: network_frame,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "http_form",
        about: "API request bodies, application/x-www-form-urlencoded with bracket notation",
        check: http_form,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "http_json",
        about: "API request bodies, application/json",
        check: http_json,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "three_ds_messages",
        about: "EMV 3-D Secure ARes, RReq, CRes, PRes and Erro from the Directory Server / ACS",
        check: three_ds_messages,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "isp_signed_data",
        about: "ISP 안전결제 signed payment text, signature, certificate and CSR PEM, card payload",
        check: isp_signed_data,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "isp_jwe",
        about: "ISP card JWE (compact ECDH-ES + A256GCM) as the ISP server receives it",
        check: isp_jwe,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "de48_de90",
        about: "DE 48 subelements and DE 90 original data: the gateway's and the simulator's parsers",
        check: de48_de90,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "apple_pay_token",
        about: "Apple Pay paymentData JSON: CMS signature, ECDH / RSA key agreement, AES-GCM, payload",
        check: crate::wallet_targets::apple_pay_token,
        ci_execs: CI_EXECS_PUBLIC_KEY,
    },
    Target {
        name: "samsung_pay_token",
        about: "Samsung Pay credential JSON and compact JWE (RSA1_5 + A128GCM), payload",
        check: crate::wallet_targets::samsung_pay_token,
        ci_execs: CI_EXECS_PUBLIC_KEY,
    },
    Target {
        name: "bank_telegram",
        about: "bank telegrams (전문): the 4-digit length frame, the gateway's and the bank simulator's readers",
        check: bank_telegram,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "card_present",
        about: "POS card-present data: DE 55 tags read for the ARQC, the MST track 2 (DE 35)",
        check: card_present,
        ci_execs: CI_EXECS,
    },
    Target {
        name: "webhook_signature",
        about: "the Stripe-Signature header as a webhook receiver parses it (header line, then body)",
        check: webhook_signature,
        ci_execs: CI_EXECS,
    },
];

/// The target called `name`.
pub fn find(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

fn iso8583_round_trip(input: &[u8], profile: Profile) {
    let spec = profile.spec();
    let Ok(message) = paygate_iso8583::decode(input, spec) else {
        return;
    };
    let encoded = paygate_iso8583::encode(&message, spec)
        .unwrap_or_else(|e| panic!("a decoded message does not encode again: {e}"));
    let again = paygate_iso8583::decode(&encoded, spec)
        .unwrap_or_else(|e| panic!("a re-encoded message does not decode: {e}"));
    assert!(again == message, "decode(encode(m)) differs from m");
}

fn iso8583_ascii(input: &[u8]) {
    iso8583_round_trip(input, Profile::Ascii);
}

fn iso8583_binary(input: &[u8]) {
    iso8583_round_trip(input, Profile::Binary);
}

fn emv_tlv(input: &[u8]) {
    let Ok(items) = tlv::decode(input) else {
        return;
    };
    let encoded = tlv::encode(&items);
    let again =
        tlv::decode(&encoded).unwrap_or_else(|e| panic!("re-encoded TLV does not decode: {e}"));
    assert!(again == items, "decode(encode(tlv)) differs");
}

fn network_frame(input: &[u8]) {
    use paygate_network::frame;
    if let Ok(total) = frame::check(input) {
        assert!(total <= input.len(), "frame longer than the buffer");
        let header = usize::from(u16::from_be_bytes([input[0], input[1]]));
        assert_eq!(total, header + 2, "frame length disagrees with its header");
    }
    let mut buf = BytesMut::from(input);
    let before = buf.len();
    if let Ok(Some(body)) = frame::parse(&mut buf) {
        assert_eq!(body.len() + 2 + buf.len(), before, "bytes lost or invented");
    }
}

fn check_params(content_type: &str, input: &[u8]) {
    use paygate_gateway::params::Params;
    if let Err(e) = Params::parse(Some(content_type), input, None) {
        let body = e.body();
        let param = body["error"]["param"].as_str().unwrap_or_default();
        assert!(
            !param.is_empty(),
            "a refused body names no parameter: {body}"
        );
    }
}

fn http_form(input: &[u8]) {
    check_params("application/x-www-form-urlencoded", input);
}

fn http_json(input: &[u8]) {
    check_params("application/json", input);
}

fn three_ds_messages(input: &[u8]) {
    use paygate_three_ds::messages::read;
    let _ = read::read_ares(input);
    let _ = read::read_rreq(input);
    let _ = read::read_cres_json(input);
    let _ = read::read_pres(input);
    let _ = read::read_erro_message(input);
}

fn isp_signed_data(input: &[u8]) {
    use paygate_isp::{CardPayload, SignedData, cert, csr, signature};
    let _ = CardPayload::from_json(input);
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    if let Ok(parsed) = SignedData::parse(text) {
        let again = SignedData::parse(&parsed.to_text())
            .unwrap_or_else(|e| panic!("accepted signed data does not parse again: {e:?}"));
        assert_eq!(again, parsed, "signed data changed through its own text");
    }
    let _ = signature::decode(text);
    let _ = cert::parse_pem(text);
    let _ = csr::parse_and_verify(text);
}

fn isp_jwe(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let _ = paygate_isp::jwe::decrypt(fixed_isp_key(), text);
}

/// A constant P-256 key: fuzzing the JWE parser needs a key, not a secret one.
fn fixed_isp_key() -> &'static paygate_isp::p256::SecretKey {
    static KEY: std::sync::OnceLock<paygate_isp::p256::SecretKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        paygate_isp::p256::SecretKey::from_slice(&[0x42; 32]).expect("a valid P-256 scalar")
    })
}

fn de48_de90(input: &[u8]) {
    use paygate_network::card;
    use paygate_sim_network::wire;
    let _ = wire::de48::parse(input);
    let _ = wire::de90::parse(input);
    let _ = card::de90::OriginalData::decode(input);
    if let Ok(subelements) = card::de48::decode(input) {
        let pairs: Vec<(u8, &str)> = subelements.iter().map(|(t, v)| (*t, v.as_str())).collect();
        let encoded = card::de48::encode(&pairs)
            .unwrap_or_else(|e| panic!("decoded DE 48 does not encode again: {e}"));
        let again = card::de48::decode(encoded.as_bytes())
            .unwrap_or_else(|e| panic!("re-encoded DE 48 does not decode: {e}"));
        assert_eq!(again, subelements, "decode(encode(de48)) differs");
    }
}

fn bank_telegram(input: &[u8]) {
    use paygate_telegram::frame;
    if let Ok(frame::Parsed::Complete { body, consumed }) = frame::parse(input) {
        assert!(consumed <= input.len(), "frame longer than the buffer");
        assert_eq!(
            consumed,
            body.len() + 4,
            "frame length disagrees with its header"
        );
    }
    if let Ok(t) = paygate_connector_bank::wire::read(input) {
        let bytes = paygate_connector_bank::wire::write(&t)
            .unwrap_or_else(|e| panic!("a telegram read does not write again: {e}"));
        let again = paygate_connector_bank::wire::read(&bytes)
            .unwrap_or_else(|e| panic!("a re-written telegram does not read: {e}"));
        assert_eq!(again, t, "read(write(t)) differs from t (gateway)");
    }
    if let Ok(t) = paygate_sim_bank::wire::read(input) {
        let bytes = paygate_sim_bank::wire::write(&t)
            .unwrap_or_else(|e| panic!("a telegram read does not write again: {e}"));
        let again = paygate_sim_bank::wire::read(&bytes)
            .unwrap_or_else(|e| panic!("a re-written telegram does not read: {e}"));
        assert_eq!(again, t, "read(write(t)) differs from t (simulator)");
    }
}

fn card_present(input: &[u8]) {
    use paygate_emv::{ArqcData, MstTrack2};
    if let Ok(items) = tlv::decode(input) {
        let lookup = |tag: &[u8]| match tlv::find(&items, tag).map(|t| &t.value) {
            Some(tlv::Value::Primitive(v)) => Some(v.as_slice()),
            _ => None,
        };
        if let Ok(data) = ArqcData::from_tags(lookup) {
            assert!(!data.mac_input().is_empty(), "ARQC data with no MAC input");
        }
    }
    if let Ok(text) = std::str::from_utf8(input)
        && let Ok(track) = MstTrack2::parse(text)
    {
        let again = MstTrack2::parse(&track.encode())
            .unwrap_or_else(|e| panic!("an accepted track 2 does not parse again: {e:?}"));
        assert!(again == track, "parse(encode(track)) differs");
    }
}

fn webhook_signature(input: &[u8]) {
    use paygate_chaos::receiver::signature_valid;
    use paygate_gateway::webhooks::signature_header;
    const SECRET: &str = "whsec_fuzz";
    let split = input
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(input.len());
    let header = String::from_utf8_lossy(&input[..split]);
    let body = input.get(split + 1..).unwrap_or_default();
    if signature_valid(SECRET, &header, body) {
        // The receiver signs the last `t=`; a canonical one must be the gateway's signature.
        let t = header
            .split(',')
            .rev()
            .find_map(|p| p.strip_prefix("t="))
            .expect("a valid header has a timestamp");
        if let Ok(n) = t.parse::<i64>()
            && n.to_string() == t
        {
            let want = signature_header(SECRET, n, body);
            let v1 = want.rsplit_once("v1=").map(|(_, v)| v).unwrap_or_default();
            assert!(
                header.to_ascii_lowercase().contains(v1),
                "a header without the body's signature was accepted"
            );
        }
    }
    let signed = signature_header(SECRET, 1_700_000_000, body);
    assert!(
        signature_valid(SECRET, &signed, body),
        "the gateway's own signature does not verify"
    );
}
