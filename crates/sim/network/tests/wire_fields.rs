//! The simulator reads DE 4, 48, 49 and 90 with its own parser. These tests feed it bytes built
//! by hand from the layouts in `docs/iso8583.md` (not by the gateway's encoder), then check
//! that the gateway's encoder (`paygate_network::card`) and this parser agree on the same
//! messages — so a bug on either side fails here instead of passing every end-to-end test.

use paygate_iso8583::{Profile, decode, encode};
use paygate_network::card::clock::Stamp;
use paygate_network::card::{self, AuthKind, AuthRequest, FollowUp, NetRef, de};
use paygate_sim_network::wire::{self, de48, de90};

#[test]
fn de48_subelements_built_by_hand_are_read_by_tag_and_length() {
    // 92 len 03 "123" | 42 len 02 "05" | 43 len 28 <cavv>
    let cavv = "AAABBEg0VhI0VniQEjRWAAAAAAA=";
    let field = format!("9203123420205432{}{cavv}", 8);
    assert_eq!(cavv.len(), 28);
    let read = de48::parse(field.as_bytes()).expect("well-formed");
    assert_eq!(read.cvc2, Some("123"));
    assert_eq!(read.eci, Some("05"));
    assert_eq!(read.cavv, Some(cavv));
    // An unknown subelement (01, length 04) is skipped; a 4-digit CVC passes.
    let read = de48::parse(b"0104999992041234").unwrap();
    assert_eq!((read.cvc2, read.eci), (Some("1234"), None));
    assert_eq!(de48::parse(b"").unwrap(), de48::AdditionalData::default());
    // 44 len 36: the 3-D Secure dsTransID.
    let ds = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e";
    let field = format!("4202054436{ds}");
    let read = de48::parse(field.as_bytes()).unwrap();
    assert_eq!((read.eci, read.ds_trans_id), (Some("05"), Some(ds)));
}

#[test]
fn de48_layout_and_value_errors_name_the_field() {
    let field = |bytes: &[u8]| de48::parse(bytes).unwrap_err().field;
    assert_eq!(field(b"920312"), "DE 48", "length runs past the end");
    assert_eq!(field(b"92"), "DE 48", "cut header");
    assert_eq!(field(b"9x03123"), "DE 48", "non-decimal tag");
    assert_eq!(field(b"92031234"), "DE 48", "trailing byte");
    assert_eq!(field(b"920212"), "DE 48.92", "CVC of 2 digits");
    assert_eq!(field(b"92031x3"), "DE 48.92", "CVC with a letter");
    assert_eq!(field(b"42015"), "DE 48.42", "ECI of 1 digit");
    assert_eq!(field(b"4300"), "DE 48.43", "empty cryptogram");
    assert_eq!(field(b"92031239203456"), "DE 48.92", "CVC twice");
    assert_eq!(field(b"4404abcd"), "DE 48.44", "dsTransID not a UUID");
    let no_hyphens = "8a880dc0xd2d2x4067xbcb1xb08d1690b26e";
    assert_eq!(
        field(format!("4436{no_hyphens}").as_bytes()),
        "DE 48.44",
        "UUID without hyphens"
    );
}

#[test]
fn de90_built_by_hand_is_read_part_by_part() {
    // MTI 0100 | STAN 000123 | DE 7 0131235959 | acquirer 00000123456 | forwarding 0 x 11
    let field = b"010000012301312359590000012345600000000000";
    let o = de90::parse(field).expect("42 digits");
    assert_eq!(o.mti, "0100");
    assert_eq!(o.stan, "000123");
    assert_eq!(o.transmitted_at, "0131235959");
    assert_eq!(o.acquirer_id, "00000123456");
    assert_eq!(de90::parse(&field[..41]), None, "41 digits");
    let mut letter = field.to_vec();
    letter[12] = b'x';
    assert_eq!(de90::parse(&letter), None, "a letter");
}

#[test]
fn amounts_and_currencies_built_by_hand() {
    assert_eq!(wire::amount(b"000000010000"), Some(10_000));
    assert_eq!(wire::amount(b"10000"), None, "DE 4 is fixed width");
    assert_eq!(wire::currency(b"410"), Some(410));
    assert_eq!(wire::currency(b"000"), None);
}

fn net(mti: &str, stan: &str) -> NetRef {
    NetRef {
        mti: mti.into(),
        stan: stan.into(),
        transmitted_at: "0131235959".into(),
        terminal_id: "PGTEST01".into(),
        acquirer_id: "123456".into(),
    }
}

#[test]
fn the_gateways_authorization_encoder_and_the_simulators_parser_agree() {
    let req = AuthRequest {
        kind: AuthKind::Authorization,
        pan: "4242424242424242",
        expiry_yymm: "3412",
        cvc: Some("987"),
        amount_minor: 123_456,
        currency_numeric: 410,
        merchant_id: "shop-1",
        pos_entry_mode: "812",
        authentication: Some(card::CardAuthentication {
            eci: "05",
            cavv_b64: Some("kJMZRiDunhPsBwAU0hu9rrx0eWN6"),
            ds_trans_id: Some("8a880dc0-d2d2-4067-bcb1-b08d1690b26e"),
            program: Default::default(),
        }),
        track2: None,
        icc: None,
        stored_credential: None,
        installments: None,
    };
    let stamp = Stamp::of_transmitted_at("0131235959").unwrap();
    for profile in Profile::ALL {
        let msg = card::build_auth(&req, &net("0100", "000042"), &stamp, profile.spec()).unwrap();
        // Through the wire, as the simulator receives it.
        let wire_bytes = encode(&msg, profile.spec()).unwrap();
        let got = decode(&wire_bytes, profile.spec()).unwrap();
        let subs = de48::parse(got.get(de::ADDITIONAL_DATA).unwrap()).unwrap();
        assert_eq!(subs.cvc2, req.cvc, "{profile}");
        assert_eq!(subs.eci, Some("05"), "{profile}");
        assert_eq!(subs.cavv, Some("kJMZRiDunhPsBwAU0hu9rrx0eWN6"), "{profile}");
        assert_eq!(wire::amount(got.get(de::AMOUNT).unwrap()), Some(123_456));
        assert_eq!(wire::currency(got.get(de::CURRENCY).unwrap()), Some(410));
    }
}

#[test]
fn the_gateways_follow_up_encoder_and_the_simulators_de90_parser_agree() {
    let orig = net("0100", "000042");
    let own = net("0400", "000043");
    let stamp = Stamp::of_transmitted_at("0201000001").unwrap();
    let f = FollowUp {
        orig: &orig,
        rrn: None,
        amount_minor: 5_000,
        currency_numeric: 840,
    };
    let msg = card::build_follow_up(&own, &stamp, "000000", &f).unwrap();
    let spec = Profile::Ascii.spec();
    let got = decode(&encode(&msg, spec).unwrap(), spec).unwrap();
    let o = de90::parse(got.get(de::ORIGINAL_DATA).unwrap()).expect("DE 90 reads");
    assert_eq!(
        (o.mti.as_str(), o.stan.as_str(), o.transmitted_at.as_str()),
        ("0100", "000042", "0131235959")
    );
    assert_eq!(o.acquirer_id, "00000123456");
    assert_eq!(wire::amount(got.get(de::AMOUNT).unwrap()), Some(5_000));
    assert_eq!(wire::currency(got.get(de::CURRENCY).unwrap()), Some(840));
}
