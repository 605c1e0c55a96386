use paygate_iso8583::{Profile, decode, encode};

use super::*;

fn net(mti: &str) -> NetRef {
    NetRef {
        mti: mti.to_owned(),
        stan: "000042".to_owned(),
        transmitted_at: "0131235959".to_owned(),
        terminal_id: "PGTEST01".to_owned(),
        acquirer_id: "123456".to_owned(),
    }
}

fn stamp() -> Stamp {
    Stamp {
        transmitted_at: "0131235959".to_owned(),
        local_time: "235959".to_owned(),
        local_date: "0131".to_owned(),
    }
}

const CAVV: &str = "kJMZRiDunhPsBwAU0hu9rrx0eWN6";
const DS_TRANS_ID: &str = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e";

fn request() -> AuthRequest<'static> {
    AuthRequest {
        kind: AuthKind::Authorization,
        pan: "4242424242424242",
        expiry_yymm: "3412",
        cvc: Some("123"),
        amount_minor: 15_000,
        currency_numeric: 410,
        merchant_id: "shop-1",
        pos_entry_mode: "812",
        authentication: Some(CardAuthentication {
            eci: "05",
            cavv_b64: Some(CAVV),
            ds_trans_id: Some(DS_TRANS_ID),
            program: Default::default(),
        }),
        track2: None,
        icc: Some(&[0x9F, 0x26, 0x02, 0xAB, 0xCD]),
        stored_credential: None,
        installments: None,
    }
}

#[test]
fn an_ecommerce_authorization_carries_the_documented_fields() {
    for profile in Profile::ALL {
        let msg = build_auth(&request(), &net("0100"), &stamp(), profile.spec()).unwrap();
        let present: Vec<u8> = msg.fields().map(|(de, _)| de).collect();
        assert_eq!(
            present,
            [2, 3, 4, 7, 11, 12, 13, 14, 22, 32, 41, 42, 48, 49, 55]
        );
        assert_eq!(msg.get_str(de::AMOUNT), Some("000000015000"));
        assert_eq!(msg.get_str(de::CURRENCY), Some("410"));
        assert_eq!(msg.get_str(de::MERCHANT_ID), Some("shop-1         "));
        assert_eq!(
            msg.get_str(de::ADDITIONAL_DATA),
            Some(
                "92031234202054328kJMZRiDunhPsBwAU0hu9rrx0eWN6\
                 44368a880dc0-d2d2-4067-bcb1-b08d1690b26e"
            )
        );
        let wire = encode(&msg, profile.spec()).unwrap();
        assert_eq!(decode(&wire, profile.spec()).unwrap(), msg, "{profile}");
    }
    let ascii = build_auth(&request(), &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(ascii.get_str(de::ICC), Some("9F2602ABCD"));
    let binary = build_auth(&request(), &net("0100"), &stamp(), Profile::Binary.spec()).unwrap();
    assert_eq!(
        binary.get(de::ICC),
        Some(&[0x9F, 0x26, 0x02, 0xAB, 0xCD][..])
    );
}

#[test]
fn an_isp_authentication_names_its_program_in_de48_45() {
    let mut req = request();
    if let Some(a) = req.authentication.as_mut() {
        a.program = AuthenticationProgram::Isp;
    }
    let msg = build_auth(&req, &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    let subs = de48::decode(msg.get(de::ADDITIONAL_DATA).unwrap()).unwrap();
    assert_eq!(de48::find(&subs, de48::TAG_AUTH_PROGRAM), Some("isp"));
    assert_eq!(de48::find(&subs, de48::TAG_DS_TRANS_ID), Some(DS_TRANS_ID));
    // 3-D Secure sends no program.
    let msg = build_auth(&request(), &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    let subs = de48::decode(msg.get(de::ADDITIONAL_DATA).unwrap()).unwrap();
    assert_eq!(de48::find(&subs, de48::TAG_AUTH_PROGRAM), None);
}

#[test]
fn a_3ds_authentication_travels_in_de48_after_the_cvc_in_tag_order() {
    let msg = build_auth(&request(), &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    let subs = de48::decode(msg.get(de::ADDITIONAL_DATA).unwrap()).unwrap();
    let tags: Vec<u8> = subs.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        tags,
        [
            de48::TAG_CVC2,
            de48::TAG_ECI,
            de48::TAG_CAVV,
            de48::TAG_DS_TRANS_ID
        ]
    );
    assert_eq!(de48::find(&subs, de48::TAG_ECI), Some("05"));
    assert_eq!(de48::find(&subs, de48::TAG_CAVV), Some(CAVV));
    assert_eq!(de48::find(&subs, de48::TAG_DS_TRANS_ID), Some(DS_TRANS_ID));

    // After a 3DS attempt that could not be done: the ECI alone.
    let eci_only = AuthRequest {
        authentication: Some(CardAuthentication {
            eci: "07",
            cavv_b64: None,
            ds_trans_id: None,
            program: Default::default(),
        }),
        cvc: None,
        ..request()
    };
    let msg = build_auth(&eci_only, &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(msg.get_str(de::ADDITIONAL_DATA), Some("420207"));

    // Without authentication and CVC there is no DE 48 at all.
    let bare = AuthRequest {
        authentication: None,
        cvc: None,
        ..request()
    };
    let msg = build_auth(&bare, &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(msg.get(de::ADDITIONAL_DATA), None);
}

/// Asserts that building failed on `field`.
fn assert_invalid(built: Result<Message, CardError>, field: &str) {
    match built {
        Err(CardError::Invalid { field: f, .. }) => assert_eq!(f, field),
        other => panic!("{field}: {other:?}"),
    }
}

#[test]
fn invalid_requests_name_the_field() {
    type Break = fn(&mut AuthRequest<'static>);
    let cases: [(&str, Break); 11] = [
        ("amount_minor", |r| r.amount_minor = 0),
        ("amount_minor", |r| r.amount_minor = MAX_AMOUNT_MINOR + 1),
        ("currency_numeric", |r| r.currency_numeric = 1000),
        ("pan", |r| r.pan = "4242x"),
        ("expiry_yymm", |r| r.expiry_yymm = "341"),
        ("cvc", |r| r.cvc = Some("12")),
        ("authentication.eci", |r| {
            r.authentication.as_mut().unwrap().eci = "5";
        }),
        ("authentication.cavv_b64", |r| {
            r.authentication.as_mut().unwrap().cavv_b64 = Some("not base64!");
        }),
        ("authentication.ds_trans_id", |r| {
            r.authentication.as_mut().unwrap().ds_trans_id =
                Some("8a880dc0d2d24067bcb1b08d1690b26e");
        }),
        ("merchant_id", |r| r.merchant_id = "a-merchant-id-too-long"),
        ("track2", |r| r.track2 = Some("4242;")),
    ];
    for (field, break_it) in cases {
        let mut req = request();
        break_it(&mut req);
        let built = build_auth(&req, &net("0100"), &stamp(), Profile::Ascii.spec());
        assert_invalid(built, field);
    }
}

#[test]
fn an_invalid_network_reference_names_the_field() {
    let spec = Profile::Ascii.spec();
    let wrong_kind = build_auth(&request(), &net("0200"), &stamp(), spec);
    assert_invalid(wrong_kind, "mti");
    let mut bad_tid = net("0100");
    bad_tid.terminal_id = "SHORT".to_owned();
    assert_invalid(
        build_auth(&request(), &bad_tid, &stamp(), spec),
        "terminal_id",
    );
}

#[test]
fn debug_of_a_request_hides_card_data() {
    let shown = format!("{:?}", request());
    assert!(shown.contains("424242******4242"), "{shown}");
    for secret in [
        "4242424242424242",
        "3412",
        "\"123\"",
        "kJMZRiDunhPsBwAU0hu9rrx0eWN6",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}

fn answer(mti: &str, stan: &str, code: &str) -> Message {
    let mut m = Message::new(mti).unwrap();
    m.set_str(de::STAN, stan).set_str(de::RESPONSE_CODE, code);
    m
}

#[test]
fn an_approval_is_read_with_its_codes() {
    let mut resp = answer("0110", "000042", "00");
    resp.set_str(de::AMOUNT, "000000015000")
        .set_str(de::APPROVAL_CODE, "A1B2C3")
        .set_str(de::RRN, "000000000007");
    let out = parse_auth_response(&net("0100"), 15_000, &resp, Profile::Ascii.spec()).unwrap();
    assert!(out.approved());
    assert_eq!(out.approval_code.as_deref(), Some("A1B2C3"));
    assert_eq!(out.rrn.as_deref(), Some("000000000007"));
    assert_eq!(out.amount_minor, 15_000);
    assert_eq!(out.net_ref, net("0100"));
}

#[test]
fn untrustworthy_responses_are_refused() {
    let n = net("0100");
    let wrong_mti = answer("0210", "000042", "05");
    let wrong_stan = answer("0110", "000043", "05");
    let no_code = answer("0110", "000042", "");
    let mut wrong_amount = answer("0110", "000042", "05");
    wrong_amount.set_str(de::AMOUNT, "000000015001");
    let approval_without_code = answer("0110", "000042", "00");
    let cases = [
        (wrong_mti, "MTI"),
        (wrong_stan, "DE 11"),
        (no_code, "DE 39"),
        (wrong_amount, "DE 4"),
        (approval_without_code, "DE 38"),
    ];
    for (resp, field) in cases {
        match parse_auth_response(&n, 15_000, &resp, Profile::Ascii.spec()) {
            Err(CardError::Response { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let declined = parse_auth_response(
        &n,
        15_000,
        &answer("0110", "000042", "05"),
        Profile::Ascii.spec(),
    )
    .unwrap();
    assert!(!declined.approved());
}

#[test]
fn follow_ups_carry_de90_and_the_original_rrn() {
    let orig = net("0100");
    let mut own = net("0220");
    own.stan = "000043".to_owned();
    let f = FollowUp {
        orig: &orig,
        rrn: Some("000000000007"),
        amount_minor: 9_000,
        currency_numeric: 410,
    };
    let msg = build_follow_up(&own, &stamp(), processing_code::PURCHASE, &f).unwrap();
    assert_eq!(msg.mti(), "0220");
    assert_eq!(msg.get_str(de::RRN), Some("000000000007"));
    assert_eq!(
        msg.get_str(de::ORIGINAL_DATA),
        Some("010000004201312359590000012345600000000000")
    );
    assert_eq!(msg.get_str(de::STAN), Some("000043"));
    let wire = encode(&msg, Profile::Binary.spec()).unwrap();
    assert_eq!(decode(&wire, Profile::Binary.spec()).unwrap(), msg);

    let mut from_earlier_process = orig.clone();
    from_earlier_process.terminal_id = "PGTEST02".to_owned();
    let f = FollowUp {
        orig: &from_earlier_process,
        rrn: None,
        ..f
    };
    assert_eq!(
        build_follow_up(&own, &stamp(), processing_code::PURCHASE, &f).unwrap_err(),
        CardError::Invalid {
            field: "terminal_id",
            rule: "a follow-up must carry the original's terminal id (DE 41)".to_owned(),
        },
        "own must name the message as it travels"
    );
    own.terminal_id = "PGTEST02".to_owned();
    let msg = build_follow_up(&own, &stamp(), processing_code::PURCHASE, &f).unwrap();
    assert_eq!(msg.get_str(de::TERMINAL_ID), Some("PGTEST02"));
    assert!(!msg.has(de::RRN));
}

#[test]
fn a_follow_up_repeat_is_the_same_message_under_the_repeat_mti() {
    let orig = net("0100");
    let mut own = net("0200");
    own.stan = "000043".to_owned();
    let f = FollowUp {
        orig: &orig,
        rrn: Some("000000000007"),
        amount_minor: 9_000,
        currency_numeric: 410,
    };
    let first = build_follow_up(&own, &stamp(), processing_code::REFUND, &f).unwrap();
    let repeat = build_follow_up_repeat(&own, FollowUpKind::Refund, &f).unwrap();
    assert_eq!(repeat.mti(), "0201");
    let fields = |m: &Message| m.fields().map(|(d, v)| (d, v.to_vec())).collect::<Vec<_>>();
    assert_eq!(fields(&repeat), fields(&first), "every field is the same");

    let err = build_follow_up_repeat(&own, FollowUpKind::Capture, &f).unwrap_err();
    assert!(
        matches!(
            err,
            CardError::Invalid {
                field: "own.mti",
                ..
            }
        ),
        "{err:?}"
    );
    let no_rrn = FollowUp { rrn: None, ..f };
    let err = build_follow_up_repeat(&own, FollowUpKind::Refund, &no_rrn).unwrap_err();
    assert!(
        matches!(err, CardError::Invalid { field: "rrn", .. }),
        "{err:?}"
    );
    own.mti = "0220".to_owned();
    let capture = build_follow_up_repeat(&own, FollowUpKind::Capture, &f).unwrap();
    assert_eq!(capture.mti(), "0221");
    assert_eq!(capture.get_str(de::PROCESSING_CODE), Some("000000"));
}

#[test]
fn echo_is_an_0800_with_code_301() {
    let msg = build_echo("000001", &stamp()).unwrap();
    assert_eq!(msg.mti(), "0800");
    assert_eq!(msg.get_str(de::NETWORK_MGMT_CODE), Some("301"));
    let ok = parse_outcome("0800", "000001", &answer("0810", "000001", "00")).unwrap();
    assert!(ok.approved());
}

#[test]
fn response_mti_is_one_function_step_up() {
    assert_eq!(mti::response_to("0100").as_deref(), Some("0110"));
    assert_eq!(mti::response_to("0220").as_deref(), Some("0230"));
    assert_eq!(mti::response_to("0800").as_deref(), Some("0810"));
    assert_eq!(mti::response_to("0110"), None);
    assert_eq!(mti::response_to("01a0"), None);
    assert_eq!(
        mti::response_to("0221").as_deref(),
        Some("0230"),
        "a repeat"
    );
    assert_eq!(
        mti::response_to("0401").as_deref(),
        Some("0410"),
        "a repeat"
    );
    assert_eq!(
        mti::response_to("0201").as_deref(),
        Some("0210"),
        "a repeat"
    );
}

#[test]
fn repeat_mtis_name_the_request_they_repeat() {
    assert_eq!(mti::base("0221"), "0220");
    assert_eq!(mti::base("0201"), "0200");
    assert_eq!(mti::base("0220"), "0220");
    assert_eq!(mti::base("02x1"), "02x1", "not an MTI: left alone");
    assert!(mti::is_repeat("0401") && !mti::is_repeat("0400"));
}

#[test]
fn amounts_and_currencies_parse_only_exact_digits() {
    assert_eq!(parse_amount(b"000000015000"), Some(15_000));
    assert_eq!(parse_amount(b"00000001500"), None);
    assert_eq!(parse_amount(b"00000001500x"), None);
    assert_eq!(parse_currency(b"410"), Some(410));
    assert_eq!(parse_currency(b"000"), None);
    assert_eq!(parse_currency(b"41"), None);
}

#[test]
fn an_account_verification_is_a_zero_amount_0100_with_de25_51() {
    let verify = AuthRequest {
        kind: AuthKind::AccountVerification,
        amount_minor: 0,
        stored_credential: Some(StoredCredential {
            usage: StoredCredentialUsage::Initial,
            original_rrn: None,
        }),
        cvc: None,
        authentication: None,
        ..request()
    };
    let msg = build_auth(&verify, &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(msg.mti(), "0100");
    assert_eq!(msg.get_str(de::AMOUNT), Some("000000000000"));
    assert_eq!(msg.get_str(de::POS_CONDITION), Some("51"));
    assert_eq!(msg.get_str(de::PROCESSING_CODE), Some("000000"));
    assert_eq!(msg.get_str(de::ADDITIONAL_DATA), Some("4601I"));
    // A verification moves nothing: an amount is refused, and a payment never carries DE 25.
    let with_amount = AuthRequest {
        amount_minor: 100,
        ..verify.clone()
    };
    assert!(build_auth(&with_amount, &net("0100"), &stamp(), Profile::Ascii.spec()).is_err());
    let payment = build_auth(&request(), &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(payment.get(de::POS_CONDITION), None);
}

#[test]
fn a_merchant_initiated_use_names_the_initial_rrn_in_de48_47() {
    let mit = AuthRequest {
        stored_credential: Some(StoredCredential {
            usage: StoredCredentialUsage::Recurring,
            original_rrn: Some("000000000042"),
        }),
        cvc: None,
        authentication: None,
        ..request()
    };
    let msg = build_auth(&mit, &net("0100"), &stamp(), Profile::Ascii.spec()).unwrap();
    assert_eq!(
        msg.get_str(de::ADDITIONAL_DATA),
        Some("4601R4712000000000042")
    );
    for (usage, rrn) in [
        (StoredCredentialUsage::Unscheduled, None),
        (StoredCredentialUsage::Recurring, Some("42")),
        (StoredCredentialUsage::Initial, Some("000000000042")),
    ] {
        let bad = AuthRequest {
            stored_credential: Some(StoredCredential {
                usage,
                original_rrn: rrn,
            }),
            ..mit.clone()
        };
        assert!(
            build_auth(&bad, &net("0100"), &stamp(), Profile::Ascii.spec()).is_err(),
            "{usage:?} {rrn:?}"
        );
    }
}
