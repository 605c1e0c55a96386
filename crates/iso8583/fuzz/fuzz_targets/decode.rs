//! Decodes arbitrary bytes with both ISO 8583 profiles and as BER-TLV. Nothing may panic, and
//! whatever decodes must encode back: to the very same bytes when the input was canonical, and
//! in every case to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paygate_iso8583::{Message, Profile, decode, encode, tlv};

fuzz_target!(|data: &[u8]| {
    for profile in Profile::ALL {
        if let Ok(msg) = decode(data, profile.spec()) {
            check_round_trip(data, profile, &msg);
        }
    }
    if let Ok(items) = tlv::decode(data) {
        let again = tlv::encode(&items);
        assert_eq!(
            tlv::decode(&again).as_ref(),
            Ok(&items),
            "TLV re-encoding changed meaning"
        );
    }
});

fn check_round_trip(data: &[u8], profile: Profile, msg: &Message) {
    let spec = profile.spec();
    let again = encode(msg, spec).expect("a decoded message must encode");
    assert_eq!(
        decode(&again, spec).as_ref(),
        Ok(msg),
        "{profile}: re-encoding changed meaning"
    );
    if is_canonical(data, profile, msg) {
        assert_eq!(
            again, data,
            "{profile}: canonical input did not re-encode byte for byte"
        );
    }
}

/// The decoder tolerates two things pyiso8583 also accepts but never emits: lower-case hex in
/// ASCII bitmaps and a secondary bitmap with no bit set. Anything else decodes only if canonical.
fn is_canonical(data: &[u8], profile: Profile, msg: &Message) -> bool {
    let has_high_fields = msg.fields().any(|(de, _)| de > 64);
    let (secondary_flag, bitmap_text) = match profile {
        Profile::Binary => (data.get(4).is_some_and(|b| b & 0x80 != 0), &[][..]),
        Profile::Ascii => {
            let first = data.get(4).copied().unwrap_or(b'0');
            let flag = matches!(first, b'8'..=b'9' | b'A'..=b'F' | b'a'..=b'f');
            let bitmaps_len = if flag { 32 } else { 16 };
            (flag, data.get(4..4 + bitmaps_len).unwrap_or_default())
        }
    };
    secondary_flag == has_high_fields && !bitmap_text.iter().any(u8::is_ascii_lowercase)
}
