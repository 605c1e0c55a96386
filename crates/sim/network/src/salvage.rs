//! Reads the MTI and STAN of a frame that does not decode, so that the simulator can answer it
//! with DE 39 = 30 instead of closing the connection. Walks the bitmap and DE 2..=10 by the
//! profile's spec; any doubt means "unreadable" and the connection is closed.

use paygate_iso8583::{Enc, LenType, Spec};

use crate::wire::mti;

/// Width of the MTI in bytes (ASCII in both profiles).
const MTI_BYTES: usize = 4;
/// DE 11 (STAN), fixed 6 digits.
const STAN_FIELD: u8 = 11;

/// `(mti, stan)` of a request frame, if both can be read.
pub(crate) fn mti_and_stan(frame: &[u8], spec: &Spec) -> Option<(String, String)> {
    let mti = std::str::from_utf8(frame.get(..MTI_BYTES)?).ok()?;
    mti::response_to(mti)?;
    let mut cur = Cursor {
        buf: frame,
        pos: MTI_BYTES,
    };
    let primary = cur.bitmap(spec.primary_bitmap().data_enc)?;
    if primary[0] & 0x80 != 0 {
        cur.bitmap(spec.field(1)?.data_enc)?;
    }
    let present = |de: u8| {
        let bit = usize::from(de - 1);
        primary[bit / 8] & (0x80 >> (bit % 8)) != 0
    };
    if !present(STAN_FIELD) {
        return None;
    }
    for de in 2..STAN_FIELD {
        if present(de) {
            cur.skip_field(spec, de)?;
        }
    }
    let stan = cur.take(usize::from(spec.field(STAN_FIELD)?.max_len))?;
    let stan = std::str::from_utf8(stan).ok()?;
    if stan.len() != 6 || !stan.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((mti.to_owned(), stan.to_owned()))
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    /// 8 raw bytes, or 16 hex characters decoded to 8 bytes.
    fn bitmap(&mut self, enc: Enc) -> Option<[u8; 8]> {
        let mut out = [0u8; 8];
        match enc {
            Enc::Binary => out.copy_from_slice(self.take(8)?),
            Enc::Ascii => {
                let hex = std::str::from_utf8(self.take(16)?).ok()?;
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
                }
            }
        }
        Some(out)
    }

    fn skip_field(&mut self, spec: &Spec, de: u8) -> Option<()> {
        let f = spec.field(de)?;
        let len = match f.len_type {
            LenType::Fixed => usize::from(f.max_len),
            LenType::LLVar | LenType::LLLVar => {
                let prefix = std::str::from_utf8(self.take(f.len_type.prefix_width())?).ok()?;
                if !prefix.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let len: usize = prefix.parse().ok()?;
                (len <= usize::from(f.max_len)).then_some(len)?
            }
        };
        self.take(len).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use paygate_iso8583::{Message, Profile, encode};

    use super::*;

    #[test]
    fn mti_and_stan_are_read_from_a_frame_whose_tail_is_garbage() {
        for profile in Profile::ALL {
            let mut msg = Message::new("0100").unwrap();
            msg.set_str(2, "4242424242424242")
                .set_str(4, "000000001000")
                .set_str(7, "0131235959")
                .set_str(11, "000777")
                .set_str(41, "PGTEST01")
                .set_str(90, &"0".repeat(42));
            let mut wire = encode(&msg, profile.spec()).unwrap();
            wire.truncate(wire.len() - 5);
            let got = mti_and_stan(&wire, profile.spec());
            assert_eq!(got, Some(("0100".into(), "000777".into())), "{profile}");
        }
    }

    #[test]
    fn unreadable_frames_give_nothing() {
        let spec = Profile::Ascii.spec();
        assert_eq!(mti_and_stan(b"garbage", spec), None);
        assert_eq!(mti_and_stan(b"0110", spec), None, "a response MTI");
        assert_eq!(
            mti_and_stan(b"0100XX00000000000000", spec),
            None,
            "bad hex bitmap"
        );
        // Bitmap says DE 2 and DE 11; DE 2 length prefix is not decimal.
        assert_eq!(mti_and_stan(b"01004020000000000000x1", spec), None);
        // DE 11 absent.
        assert_eq!(
            mti_and_stan(b"01004000000000000000164242424242424242", spec),
            None
        );
    }
}
