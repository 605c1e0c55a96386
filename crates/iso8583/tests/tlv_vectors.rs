//! EMV BER-TLV against `shared/vectors/emv/tlv_vectors.json` (decoded with pyemv 1.5.0).

use std::collections::BTreeMap;
use std::path::PathBuf;

use paygate_iso8583::tlv::{self, Tlv, Value};
use serde_json::Value as Json;

fn vectors() -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/emv/tlv_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("tlv_vectors.json is JSON")
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length in {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn str_field<'a>(json: &'a Json, key: &str) -> &'a str {
    json[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string"))
}

#[test]
fn de55_sample_decodes_to_the_pyemv_tags_and_re_encodes_byte_for_byte() {
    let v = vectors();
    let de55 = unhex(str_field(&v, "de55_hex"));
    let items = tlv::decode(&de55).expect("DE 55 sample decodes");
    let ours: BTreeMap<String, String> = items
        .iter()
        .map(|item| match &item.value {
            Value::Primitive(value) => (hex(&item.tag), hex(value)),
            Value::Constructed(_) => panic!("DE 55 sample holds only primitive tags"),
        })
        .collect();
    let expected: BTreeMap<String, String> = v["decoded"]
        .as_object()
        .expect("decoded is an object")
        .iter()
        .map(|(tag, value)| (tag.clone(), value.as_str().expect("hex value").to_owned()))
        .collect();
    assert_eq!(items.len(), expected.len(), "no duplicate or missing tags");
    assert_eq!(ours, expected);
    assert_eq!(tlv::encode(&items), de55);
}

#[test]
fn long_form_length_0x81_announces_129_value_bytes() {
    let v = vectors();
    let mut input = unhex(str_field(&v["long_form_length_case"], "hex_prefix"));
    input.extend(std::iter::repeat_n(0x5Au8, 129));
    let items = tlv::decode(&input).expect("long form decodes");
    assert_eq!(items, [Tlv::primitive([0x9F, 0x10], vec![0x5A; 129])]);
    assert_eq!(tlv::encode(&items), input);
    // One byte short must fail, naming the value offset (after 9F 10 81 81).
    let err = tlv::decode(&input[..input.len() - 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "TLV at offset 4: value needs 129 bytes, 128 available"
    );
}

#[test]
fn constructed_tag_70_holds_a_primitive_5a() {
    let v = vectors();
    let input = unhex(str_field(&v["constructed_case"], "hex"));
    let items = tlv::decode(&input).expect("constructed case decodes");
    let expected = Tlv::constructed([0x70], vec![Tlv::primitive([0x5A], unhex("4111111111"))]);
    assert_eq!(items, [expected]);
    assert_eq!(tlv::encode(&items), input);
}
