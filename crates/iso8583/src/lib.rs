//! ISO 8583:1987 message codec for paygate, byte-compatible with pyiso8583 4.0.1, plus EMV
//! BER-TLV for the chip data in DE 55.
//!
//! # Profiles
//!
//! The same logical [`Message`] can travel in two wire layouts, chosen per link with
//! [`Profile`]:
//!
//! | | [`Profile::Binary`] (pyiso8583 `default`) | [`Profile::Ascii`] (pyiso8583 `default_ascii`) |
//! |---|---|---|
//! | MTI | 4 ASCII digits | 4 ASCII digits |
//! | bitmaps | 8 raw bytes each | 16 upper-case hex characters each |
//! | DE 52 PIN block, DE 64/128 MAC, DE 96 | 8 raw bytes | 16 ASCII characters |
//! | DE 55 ICC data | LLLVAR, up to 255 raw bytes | LLLVAR, up to 510 ASCII characters |
//! | every other field | ASCII text | ASCII text |
//!
//! Length prefixes are ASCII decimal digits (LLVAR: 2, LLLVAR: 3) counting bytes. Fixed-length
//! fields must have exactly their length: like pyiso8583 the codec never pads, because the pad
//! depends on meaning (numeric fields are zero-filled on the left, text is space-filled on the
//! right) and numeric fields are just text here. A secondary bitmap (DE 1) is sent exactly
//! when a field in 65..=128 is present. Neither profile has a message header; a transport length
//! header is the link's business.
//!
//! # Data elements paygate uses
//!
//! | DE | meaning | format |
//! |---|---|---|
//! | 2 | PAN | n..19 LLVAR |
//! | 3 | processing code (00 purchase, 20 refund, ...) | n6 |
//! | 4 | transaction amount in minor units, zero-padded | n12 |
//! | 7 | transmission date and time, MMDDhhmmss UTC | n10 |
//! | 11 | system trace audit number (STAN) | n6 |
//! | 12 / 13 | local time hhmmss / date MMDD | n6 / n4 |
//! | 14 | expiry YYMM | n4 |
//! | 22 | POS entry mode (e.g. 071 contactless chip, 812 e-commerce) | n3 |
//! | 35 | track 2 data | z..37 LLVAR |
//! | 37 | retrieval reference number | an12 |
//! | 38 | approval code | an6 |
//! | 39 | response code (00 approved, 05 do not honour, 51 insufficient funds...) | an2 |
//! | 41 / 42 | terminal ID / merchant ID | ans8 / ans15 |
//! | 48 | additional private data (paygate carries the CVC here) | ans..999 LLLVAR |
//! | 49 | currency, ISO 4217 numeric (410 = KRW) | n3 |
//! | 52 | PIN block | b8 |
//! | 55 | EMV chip data as BER-TLV, see [`tlv`] | b..255 LLLVAR |
//! | 64 / 128 | MAC | b8 |
//! | 70 | network management code (001 sign-on, 301 echo...) | n3 |
//! | 90 | original data elements, for reversals | n42 |
//!
//! # Safety with hostile bytes
//!
//! [`decode`] never panics: every read is bounds-checked, lengths come from at most three
//! decimal digits, input above [`MAX_MESSAGE_BYTES`] is refused before parsing, and errors name
//! the field and the rule, never the value. `Debug` of [`Message`] and [`tlv::Tlv`] masks card
//! data.
//!
//! # How this is checked
//!
//! * `tests/pyiso8583_crosscheck/` runs pyiso8583 4.0.1 in a venv it creates under the target
//!   dir and compares both field tables entry by entry and messages in both directions
//!   (`PAYGATE_SKIP_PYTHON=1` skips it where python3 is missing; it fails otherwise).
//! * `tests/roundtrip_props.rs` and `tests/tlv_props.rs` are proptest round trips, prefix and
//!   hostile-input properties.
//! * `fuzz/` is a cargo-fuzz target (`decode`), outside the workspace:
//!   `cargo install cargo-fuzz`, then from `crates/iso8583`:
//!   `cargo +nightly fuzz run decode -- -max_total_time=60`.
//!
//! ```
//! use paygate_iso8583::{decode, encode, Message, Profile};
//!
//! let mut msg = Message::new("0100")?;
//! msg.set_str(2, "4111111111111111").set_str(3, "000000").set_str(4, "000000001000");
//! let bytes = encode(&msg, Profile::Ascii.spec())?;
//! assert_eq!(&bytes[..20], b"01007000000000000000");
//! assert_eq!(decode(&bytes, Profile::Ascii.spec())?, msg);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod bitmap;
mod codec;
mod error;
mod field;
mod message;
mod reader;
mod spec;
mod tables;
pub mod tlv;

pub use codec::{MAX_MESSAGE_BYTES, decode, encode};
pub use error::{DecodeError, DecodeRule, EncodeError, FieldId};
pub use message::{MASKED_FIELDS, Message};
pub use spec::{Enc, FieldSpec, LenType, ParseProfileError, Profile, Spec};
