//! Tests of the typed parameter values.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Card {
    number: Text<19>,
    exp_month: Int,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Pmd {
    card: Option<Card>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Form {
    amount: Option<Int>,
    confirm: Option<Flag>,
    metadata: Option<Metadata>,
    payment_method_data: Option<Pmd>,
    expand: Option<Expand>,
    receipt_email: Option<Email>,
    statement_descriptor: Option<StatementDescriptor>,
}

fn parse(body: &str) -> ApiResult<Form> {
    Params::parse(None, body.as_bytes(), None)?.typed::<Form>()
}

fn err(body: &str) -> (String, String) {
    let e = parse(body).unwrap_err();
    (
        e.param.unwrap_or_default(),
        e.code.unwrap_or_default().into(),
    )
}

#[test]
fn errors_name_the_parameter_in_bracket_form() {
    assert_eq!(
        err("payment_method_data[card][exp_month]=x"),
        (
            "payment_method_data[card][exp_month]".into(),
            "parameter_invalid_integer".into()
        )
    );
    assert_eq!(
        err("payment_method_data[card][bogus]=1"),
        (
            "payment_method_data[card][bogus]".into(),
            "parameter_unknown".into()
        )
    );
    assert_eq!(
        err("payment_method_data[card][exp_month]=1"),
        (
            "payment_method_data[card][number]".into(),
            "parameter_missing".into()
        )
    );
    assert_eq!(
        err("expand[0][x]=1"),
        ("expand[0]".into(), "parameter_invalid".into())
    );
    assert_eq!(err("bogus=1"), ("bogus".into(), "parameter_unknown".into()));
    assert_eq!(
        err("amount=1.5"),
        ("amount".into(), "parameter_invalid_integer".into())
    );
    assert_eq!(
        err("confirm=yes"),
        ("confirm".into(), "parameter_invalid_boolean".into())
    );
}

#[test]
fn metadata_rules_name_the_key() {
    let long = "v".repeat(501);
    assert_eq!(
        err(&format!("metadata[order]={long}")),
        ("metadata[order]".into(), "parameter_invalid".into())
    );
    assert_eq!(
        err(&format!("metadata[{}]=1", "k".repeat(41))).0,
        "metadata"
    );
    let e = parse(r#"metadata[a%5Bb]=1"#).unwrap_err();
    assert!(e.message.contains("'['"), "{}", e.message);
    let many: Vec<String> = (0..51).map(|i| format!("metadata[k{i}]=v")).collect();
    assert_eq!(err(&many.join("&")).0, "metadata");
    let ok = parse("metadata[order]=42&metadata[gone]=").unwrap();
    assert_eq!(ok.metadata.unwrap().0.len(), 2);
}

#[test]
fn emails_and_descriptors_are_checked() {
    assert_eq!(err("receipt_email=nope").1, "email_invalid");
    assert_eq!(err("receipt_email=a%20b@x.io").1, "email_invalid");
    assert!(parse("receipt_email=kim@example.co.kr").is_ok());
    assert_eq!(
        err("statement_descriptor=ABCDEFGHIJKLMNOPQRSTUVW").1,
        "parameter_invalid_string_too_long"
    );
    assert_eq!(err("statement_descriptor=SHOP*1").0, "statement_descriptor");
    assert!(parse("statement_descriptor=PAYGATE%20SHOP").is_ok());
}

#[test]
fn json_bodies_deserialize_into_the_same_types() {
    let f: Form = Params::parse(
        Some("application/json"),
        br#"{"amount": 5, "confirm": true, "expand": ["a"], "metadata": {"n": 1}}"#,
        None,
    )
    .unwrap()
    .typed()
    .unwrap();
    assert_eq!(f.amount, Some(Int(5)));
    assert_eq!(f.expand.unwrap().0, vec!["a"]);
    assert_eq!(f.metadata.unwrap().0["n"], "1");
}
