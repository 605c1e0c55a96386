//! Property tests for BER-TLV: random trees round-trip, random bytes never panic.

use paygate_iso8583::tlv::{self, MAX_TLV_DEPTH, Tlv, Value};
use proptest::collection::vec;
use proptest::prelude::*;

/// A tag of 1 to 3 bytes, with bit 6 of the first byte set exactly when `constructed`.
fn tag(constructed: bool) -> impl Strategy<Value = Vec<u8>> {
    let single = any::<u8>()
        .prop_filter("not a multi-byte marker", |b| b & 0x1F != 0x1F)
        .prop_map(|b| vec![b]);
    let multi =
        (any::<u8>(), vec(0x80u8..=0xFF, 0..=1), 0u8..0x80).prop_map(|(first, middle, last)| {
            let mut t = vec![first | 0x1F];
            t.extend(middle);
            t.push(last);
            t
        });
    prop_oneof![single, multi].prop_map(move |mut t| {
        if let Some(first) = t.first_mut() {
            *first = if constructed {
                *first | 0x20
            } else {
                *first & !0x20
            };
        }
        t
    })
}

fn tree() -> impl Strategy<Value = Vec<Tlv>> {
    let leaf = (tag(false), vec(any::<u8>(), 0..300)).prop_map(|(t, v)| Tlv::primitive(t, v));
    let item = leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            inner.clone(),
            (tag(true), vec(inner, 0..6)).prop_map(|(t, children)| Tlv::constructed(t, children)),
        ]
    });
    vec(item, 0..6)
}

fn depth(items: &[Tlv]) -> usize {
    items
        .iter()
        .map(|item| match &item.value {
            Value::Constructed(children) => 1 + depth(children),
            Value::Primitive(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn random_trees_round_trip(items in tree()) {
        prop_assume!(depth(&items) <= MAX_TLV_DEPTH);
        let bytes = tlv::encode(&items);
        prop_assert_eq!(tlv::decode(&bytes), Ok(items));
    }

    #[test]
    fn random_bytes_never_panic_and_decoded_items_re_decode_the_same(
        bytes in vec(any::<u8>(), 0..512),
    ) {
        if let Ok(items) = tlv::decode(&bytes) {
            let _ = format!("{items:?}");
            prop_assert_eq!(tlv::decode(&tlv::encode(&items)), Ok(items));
        }
    }

    #[test]
    fn every_strict_prefix_of_a_non_empty_encoding_fails(items in tree()) {
        prop_assume!(depth(&items) <= MAX_TLV_DEPTH);
        let bytes = tlv::encode(&items);
        // A prefix ending exactly between two top-level items is itself valid TLV, so only
        // prefixes cutting inside the last item must fail.
        let last_len = items.last().map_or(0, |last| tlv::encode(std::slice::from_ref(last)).len());
        let last_start = bytes.len() - last_len;
        for cut in last_start + 1..bytes.len() {
            prop_assert!(tlv::decode(&bytes[..cut]).is_err(), "prefix {} of {}", cut, bytes.len());
        }
    }
}
