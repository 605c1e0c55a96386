//! Frames ↔ ISO 8583 messages on the connection tasks. A frame that does not decode is still
//! answered (DE 39 = 30) when its MTI and STAN can be read ([`crate::salvage`]); otherwise the
//! connection is closed.

use paygate_iso8583::{Message, Profile, Spec, decode, encode};
use paygate_sim_kit::Codec;

use crate::cmd::Work;
use crate::salvage;

/// The ISO 8583 codec of one wire profile.
pub(crate) struct IsoCodec {
    spec: &'static Spec,
}

impl IsoCodec {
    pub(crate) fn new(profile: Profile) -> Self {
        IsoCodec {
            spec: profile.spec(),
        }
    }
}

impl Codec for IsoCodec {
    type Request = Work;
    type Answer = Message;

    fn decode(&self, frame: &[u8]) -> Option<Work> {
        match decode(frame, self.spec) {
            Ok(msg) => Some(Work::Message(msg)),
            Err(e) => {
                tracing::warn!(error = %e, "undecodable request");
                let (mti, stan) = salvage::mti_and_stan(frame, self.spec)?;
                Some(Work::Malformed { mti, stan })
            }
        }
    }

    fn encode(&self, answer: &Message) -> Result<Vec<u8>, String> {
        encode(answer, self.spec).map_err(|e| format!("{} answer: {e}", answer.mti()))
    }
}
