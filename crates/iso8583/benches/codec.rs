//! Encode and decode of a typical 0100 chip authorisation in both profiles.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use paygate_iso8583::{Message, Profile, decode, encode};

/// A contactless chip 0100 like the gateway sends: PAN, amounts, times, terminal data, DE 55.
fn typical_0100(profile: Profile) -> Message {
    let mut m = Message::new("0100").expect("valid MTI");
    m.set_str(2, "4111111111111111")
        .set_str(3, "000000")
        .set_str(4, "000000015000")
        .set_str(7, "1124093000")
        .set_str(11, "000123")
        .set_str(12, "183000")
        .set_str(13, "1124")
        .set_str(14, "2512")
        .set_str(22, "071")
        .set_str(23, "001")
        .set_str(37, "432912000123")
        .set_str(41, "TERM0001")
        .set_str(42, "MERCHANT0000001")
        .set_str(43, "PAYGATE TEST SHOP        SEOUL        KR")
        .set_str(49, "410");
    let de55 = b"\x9F\x26\x08\xA1\xB2\xC3\xD4\xE5\xF6\x07\x08\x9F\x27\x01\x80\x9F\x36\x02\x00\x01";
    match profile {
        Profile::Binary => m.set(55, de55.to_vec()),
        Profile::Ascii => m.set(
            55,
            de55.iter().map(|b| format!("{b:02X}")).collect::<String>(),
        ),
    };
    m
}

fn codec(c: &mut Criterion) {
    for profile in Profile::ALL {
        let spec = profile.spec();
        let msg = typical_0100(profile);
        let bytes = encode(&msg, spec).expect("typical message encodes");
        c.bench_function(&format!("encode 0100 {profile}"), |b| {
            b.iter(|| encode(black_box(&msg), spec))
        });
        c.bench_function(&format!("decode 0100 {profile}"), |b| {
            b.iter(|| decode(black_box(&bytes), spec))
        });
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
