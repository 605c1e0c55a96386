//! What a terminal read (the chip's DE 55 or the MST track 2), as the engine's `Authorize`
//! carries it to the card connector, and the `card_present` payment method details it gives the
//! charge.

use paygate_payments::CardRead;
use paygate_vault::Secret;
use serde_json::{Value, json};

/// The read, owned for the length of the payment; never stored (the track holds the PAN).
pub enum Read {
    /// Contactless EMV: DE 55 as BER-TLV bytes (with the ARQC).
    ContactlessEmv(Vec<u8>),
    /// MST: DE 35, track 2 with the ATC and CVC3.
    MagneticStripeTrack2(Secret<String>),
}

/// A card-present read and the wallet of the phone that presented it.
pub struct CardPresentRead {
    pub read: Read,
    /// `apple_pay` / `samsung_pay` (from 9F19, or MST), when a phone presented a token.
    pub wallet: Option<&'static str>,
}

impl CardPresentRead {
    pub fn card_read(&self) -> CardRead<'_> {
        match &self.read {
            Read::ContactlessEmv(icc) => CardRead::ContactlessEmv { icc },
            Read::MagneticStripeTrack2(track2) => CardRead::MagneticStripeTrack2 { track2 },
        }
    }

    /// Rewrites a charge's `{"type": "card", "card": {…}}` details as Stripe's `card_present`:
    /// the card's fields, `read_method`, `wallet.type` and `emv_auth_data` (the issuer's DE 55,
    /// upper-case hex: the ARPC in tag 91 the terminal hands to the card).
    pub fn charge_details(&self, details: &Value, issuer_data: Option<&[u8]>) -> Value {
        let mut cp = details["card"].clone();
        let last4 = cp["last4"].clone();
        if let Some(obj) = cp.as_object_mut() {
            obj.remove("checks");
            obj.insert("read_method".into(), json!(self.card_read().read_method()));
            // A phone presents a device token: its last 4 are the wallet's dynamic last 4.
            let wallet = self
                .wallet
                .map_or(Value::Null, |w| json!({"type": w, "dynamic_last4": last4}));
            obj.insert("wallet".into(), wallet);
            obj.insert(
                "emv_auth_data".into(),
                issuer_data.map_or(Value::Null, |d| json!(hex::encode_upper(d))),
            );
        }
        json!({"type": "card_present", "card_present": cp})
    }
}
