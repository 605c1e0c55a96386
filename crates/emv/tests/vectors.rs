//! Every algorithm against the pyemv vectors (tests/vectors/arqc_vectors.json, MIT; see
//! tests/vectors/ORIGIN.txt), and tampering with each input changes the result.

use paygate_emv::mac::{Padding, mac_alg3};
use paygate_emv::{
    ArqcData, DoubleKey, MstTrack2, arpc_method2, common_session_key, cvc3, icc_cvc3_key,
    icc_master_key_option_a, visa_cvn18_arqc, visa_cvn18_session_key,
};
use serde_json::Value;

fn vector(name: &str) -> Value {
    let text = include_str!("vectors/arqc_vectors.json");
    let all: Value = serde_json::from_str(text).unwrap();
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("vector {name}"))
        .clone()
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_else(|| panic!("field {field}"))
}

fn key(v: &Value, field: &str) -> DoubleKey {
    DoubleKey::from_hex(s(v, field)).unwrap()
}

/// The CDOL1 fields of a vector as DE 55 values, plus the IAD.
fn arqc_data(v: &Value) -> ArqcData {
    let parts: Vec<Vec<u8>> = s(v, "cdol1")
        .split('|')
        .map(|p| hex::decode(p).unwrap())
        .collect();
    let tags: [&[u8]; 10] = [
        &[0x9F, 0x02],
        &[0x9F, 0x03],
        &[0x9F, 0x1A],
        &[0x95],
        &[0x5F, 0x2A],
        &[0x9A],
        &[0x9C],
        &[0x9F, 0x37],
        &[0x82],
        &[0x9F, 0x36],
    ];
    let iad = hex::decode(s(v, "iad_9f10")).unwrap();
    ArqcData::from_tags(|tag| {
        if tag == [0x9F, 0x10] {
            return Some(iad.as_slice());
        }
        tags.iter()
            .position(|t| *t == tag)
            .map(|i| parts[i].as_slice())
    })
    .unwrap()
}

#[test]
fn icc_master_key_option_a_matches_pyemv() {
    let v = vector("kd_icc_mk_a");
    let mk = icc_master_key_option_a(&key(&v, "iss_mk"), s(&v, "pan"), s(&v, "psn")).unwrap();
    assert_eq!(mk.to_hex(), s(&v, "icc_mk"));
}

#[test]
fn common_session_key_matches_pyemv() {
    let v = vector("kd_common_sk");
    let mut r = [0u8; 8];
    hex::decode_to_slice(s(&v, "r"), &mut r).unwrap();
    assert_eq!(
        common_session_key(&key(&v, "icc_mk"), r).to_hex(),
        s(&v, "sk")
    );
}

#[test]
fn mac_algorithm_3_matches_pyemv_generic_ac() {
    let v = vector("ac_generate");
    let data = hex::decode(s(&v, "data")).unwrap();
    let mac = mac_alg3(&key(&v, "sk_ac"), &data, Padding::Iso9797Method2);
    assert_eq!(hex::encode_upper(mac), s(&v, "arqc"));
    assert_ne!(
        hex::encode_upper(mac_alg3(&key(&v, "sk_ac"), &data, Padding::Zeros)),
        s(&v, "arqc")
    );
}

#[test]
fn visa_cvn18_hsm_vector_arqc_session_key_and_arpc() {
    let v = vector("visa_cvn18_hsm");
    let data = arqc_data(&v);
    assert_eq!(data.atc(), 0x001C);
    let sk = visa_cvn18_session_key(
        &key(&v, "iss_mk_ac"),
        s(&v, "pan"),
        s(&v, "psn"),
        data.atc(),
    )
    .unwrap();
    assert_eq!(sk.kcv(), s(&v, "sk_kcv"));
    let arqc = visa_cvn18_arqc(&sk, &data);
    assert_eq!(hex::encode_upper(arqc), s(&v, "arqc"));
    let mut csu = [0u8; 4];
    hex::decode_to_slice(s(&v, "csu"), &mut csu).unwrap();
    assert_eq!(
        hex::encode_upper(arpc_method2(&sk, arqc, csu)),
        s(&v, "arpc_method2")
    );
}

#[test]
fn visa_cvn18_docstring_vector() {
    let v = vector("visa_cvn18_docstring");
    let data = arqc_data(&v);
    let sk = visa_cvn18_session_key(
        &key(&v, "iss_mk_ac"),
        s(&v, "pan"),
        s(&v, "psn"),
        data.atc(),
    )
    .unwrap();
    assert_eq!(
        hex::encode_upper(visa_cvn18_arqc(&sk, &data)),
        s(&v, "arqc")
    );
}

#[test]
fn a_changed_amount_pan_or_atc_changes_the_arqc() {
    let v = vector("visa_cvn18_hsm");
    let imk = key(&v, "iss_mk_ac");
    let data = arqc_data(&v);
    let good = visa_cvn18_arqc(
        &visa_cvn18_session_key(&imk, "1234567890123456", "00", 0x1C).unwrap(),
        &data,
    );
    let other_pan = visa_cvn18_arqc(
        &visa_cvn18_session_key(&imk, "1234567890123457", "00", 0x1C).unwrap(),
        &data,
    );
    let other_atc = visa_cvn18_arqc(
        &visa_cvn18_session_key(&imk, "1234567890123456", "00", 0x1D).unwrap(),
        &data,
    );
    assert_ne!(good, other_pan);
    assert_ne!(good, other_atc);
    let mut cdol: Vec<String> = s(&v, "cdol1").split('|').map(str::to_owned).collect();
    cdol[0] = "000000004001".into();
    let mut changed = v.clone();
    changed["cdol1"] = Value::String(cdol.join("|"));
    let sk = visa_cvn18_session_key(&imk, "1234567890123456", "00", 0x1C).unwrap();
    assert_ne!(visa_cvn18_arqc(&sk, &arqc_data(&changed)), good);
}

#[test]
fn missing_or_short_tags_are_refused_by_name() {
    let err = ArqcData::from_tags(|_| None).unwrap_err();
    assert_eq!(err.to_string(), "9F02 amount authorised: is required");
    let short = [0u8; 1];
    let err = ArqcData::from_tags(|_| Some(&short[..])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "9F02 amount authorised: has the wrong length"
    );
}

#[test]
fn mastercard_cvc3_matches_pyemv() {
    let v = vector("mastercard_cvc3_docstring");
    let k = icc_cvc3_key(&key(&v, "iss_mk_cvc3"), s(&v, "pan"), s(&v, "psn")).unwrap();
    let template = hex::decode(s(&v, "track2_template")).unwrap();
    let mut un = [0u8; 4];
    hex::decode_to_slice(s(&v, "un"), &mut un).unwrap();
    let atc = u16::from_str_radix(s(&v, "atc"), 16).unwrap();
    assert_eq!(
        format!("{:05}", cvc3(&k, &template, un, atc)),
        s(&v, "cvc3")
    );
    assert_ne!(
        format!("{:05}", cvc3(&k, &template, un, atc + 1)),
        s(&v, "cvc3")
    );
}

#[test]
fn mst_track2_round_trips_and_its_template_has_the_vector_layout() {
    let track = MstTrack2 {
        pan: "5123456789012345".into(),
        expiry_yymm: "3512".into(),
        service_code: "101".into(),
        atc: 94,
        cvc3: 29488,
        un: 899,
    };
    let text = track.encode();
    assert_eq!(text, "5123456789012345=35121010009429488899");
    assert_eq!(text.len(), 37);
    assert_eq!(MstTrack2::parse(&text).unwrap(), track);
    let v = vector("mastercard_cvc3_docstring");
    assert_eq!(
        hex::encode_upper(track.template()),
        s(&v, "track2_template")
    );
    assert_eq!(track.un_bytes(), [0x00, 0x00, 0x08, 0x99]);
    assert!(!format!("{track:?}").contains("5123456789012345"));
    assert!(MstTrack2::parse("5123456789012345D3512").is_err());
    assert!(MstTrack2::parse("5123456789012345=35121019999994888899").is_err());
}

#[test]
fn odd_parity_and_debug_hides_the_key() {
    let k = DoubleKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
    assert!(!format!("{k:?}").contains("0123456789"));
    let p = DoubleKey::new([0; 16]).with_odd_parity();
    assert_eq!(p.to_hex(), "01".repeat(16));
    assert!(DoubleKey::from_hex("00").is_err());
}
