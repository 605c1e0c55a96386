//! Property tests: random valid messages round-trip in both profiles, every strict prefix of an
//! encoding is `Incomplete`, and arbitrary or mutated bytes never make the decoder panic.

use paygate_iso8583::{DecodeError, Enc, LenType, Message, Profile, decode, encode};
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;

/// Longest variable-length value generated: keeps random messages under MAX_MESSAGE_BYTES
/// (24 fields x 163 bytes); the 999-byte maximum has its own example test.
const MAX_GENERATED_VALUE_BYTES: u16 = 160;

fn profile() -> impl Strategy<Value = Profile> {
    prop_oneof![Just(Profile::Ascii), Just(Profile::Binary)]
}

/// Bytes valid for DE `de` of `profile`: exact length for fixed fields, 7-bit text for ASCII.
fn value_for(profile: Profile, de: u8) -> BoxedStrategy<Vec<u8>> {
    let spec = profile.spec().field(de).expect("2..=128 are in the table");
    let byte = match spec.data_enc {
        Enc::Ascii => (0u8..0x80).boxed(),
        Enc::Binary => any::<u8>().boxed(),
    };
    let cap = usize::from(spec.max_len.min(MAX_GENERATED_VALUE_BYTES));
    let len = match spec.len_type {
        LenType::Fixed => Just(usize::from(spec.max_len)).boxed(),
        LenType::LLVar | LenType::LLLVar => prop_oneof![Just(cap), Just(0), 0..=cap].boxed(),
    };
    len.prop_flat_map(move |n| vec(byte.clone(), n)).boxed()
}

/// A random message for `profile` with up to `max_fields` data elements from 2..=128 (no 65).
fn message(profile: Profile, max_fields: usize) -> impl Strategy<Value = Message> {
    let numbers = btree_set(
        (2u8..=128).prop_filter("65 is the tertiary bitmap", |de| *de != 65),
        0..=max_fields,
    );
    ("[0-9]{4}", numbers).prop_flat_map(move |(mti, numbers)| {
        let values: Vec<_> = numbers
            .into_iter()
            .map(|de| value_for(profile, de).prop_map(move |v| (de, v)))
            .collect();
        values.prop_map(move |pairs| {
            let mut m = Message::new(&mti).expect("regex gives 4 digits");
            for (de, v) in pairs {
                m.set(de, v);
            }
            m
        })
    })
}

fn profile_and_message(max_fields: usize) -> impl Strategy<Value = (Profile, Message)> {
    profile().prop_flat_map(move |p| (Just(p), message(p, max_fields)))
}

/// Whatever decodes must survive encode → decode unchanged (the encoding itself may differ only
/// by hex case or an empty secondary bitmap, which the decoder tolerates like pyiso8583).
fn assert_stable_if_decoded(bytes: &[u8], profile: Profile) -> Result<(), TestCaseError> {
    if let Ok(m) = decode(bytes, profile.spec()) {
        let _ = format!("{m:?}");
        let again = encode(&m, profile.spec()).expect("a decoded message encodes");
        prop_assert_eq!(decode(&again, profile.spec()), Ok(m));
    }
    Ok(())
}

proptest! {
    #[test]
    fn random_messages_round_trip((profile, msg) in profile_and_message(24)) {
        let bytes = encode(&msg, profile.spec()).expect("generated values fit the spec");
        let has_secondary = msg.fields().any(|(de, _)| de > 64);
        let bitmap_len = match profile { Profile::Ascii => 16, Profile::Binary => 8 };
        let first_bitmap_byte = if profile == Profile::Ascii {
            u8::from_str_radix(std::str::from_utf8(&bytes[4..6]).unwrap(), 16).unwrap()
        } else {
            bytes[4]
        };
        prop_assert_eq!(first_bitmap_byte & 0x80 != 0, has_secondary);
        prop_assert!(bytes.len() >= 4 + bitmap_len);
        prop_assert_eq!(decode(&bytes, profile.spec()), Ok(msg));
    }

    #[test]
    fn every_strict_prefix_of_an_encoding_is_incomplete((profile, msg) in profile_and_message(10)) {
        let bytes = encode(&msg, profile.spec()).expect("generated values fit the spec");
        for cut in 0..bytes.len() {
            let result = decode(&bytes[..cut], profile.spec());
            prop_assert!(
                matches!(result, Err(DecodeError::Incomplete { .. })),
                "prefix of {} bytes gave {:?}", cut, result
            );
        }
    }

    #[test]
    fn random_bytes_never_panic(profile in profile(), bytes in vec(any::<u8>(), 0..600)) {
        assert_stable_if_decoded(&bytes, profile)?;
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(
        profile in profile(),
        bitmap in any::<[u8; 16]>(),
        rest in vec(prop_oneof![b'0'..=b'9', any::<u8>()], 0..400),
    ) {
        let mut bytes = b"0200".to_vec();
        match profile {
            Profile::Binary => bytes.extend_from_slice(&bitmap),
            Profile::Ascii => bitmap.iter().for_each(|b| bytes.extend(format!("{b:02X}").bytes())),
        }
        bytes.extend(rest);
        assert_stable_if_decoded(&bytes, profile)?;
    }

    #[test]
    fn mutated_encodings_never_panic(
        (profile, msg) in profile_and_message(12),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        truncate in any::<prop::sample::Index>(),
    ) {
        let mut bytes = encode(&msg, profile.spec()).expect("generated values fit the spec");
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        assert_stable_if_decoded(&bytes, profile)?;
        let cut = truncate.index(bytes.len() + 1);
        assert_stable_if_decoded(&bytes[..cut], profile)?;
    }
}

#[test]
fn maximum_length_lllvar_and_llvar_values_round_trip() {
    for profile in Profile::ALL {
        let mut m = Message::new("0100").unwrap();
        m.set(2, vec![b'4'; 19])
            .set(48, vec![b'Z'; 999])
            .set(104, vec![b' '; 100]);
        let bytes = encode(&m, profile.spec()).unwrap();
        assert_eq!(decode(&bytes, profile.spec()), Ok(m), "{profile}");
    }
}
