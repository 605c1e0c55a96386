//! The 간편결제 wallet (issue 11 §2): owned by the payer, not by a merchant — identified by a
//! mobile number proved by SMS ([`crate::otp`]), holding cards sealed in the vault and a
//! payment PIN ([`pin`]), usable at every merchant of the gateway (of one mode: a test-mode
//! wallet never pays a live intent).
//!
//! Storage: the wallet is an object of kind [`WALLET_KIND`] in the platform scope
//! [`PLATFORM`] (no merchant can read it through the API); its id is a keyed hash of mode and
//! phone, so the number is never stored in full (only [`Phone::masked`]). Every PIN failure,
//! lock, unlock and card change is an [`audit`] object under the wallet.

pub mod audit;
pub mod operator;
pub mod pin;
pub mod wallet;

pub use wallet::{Wallet, WalletCard};

use paygate_store::Scope;
use paygate_vault::Vault;

/// The owner of payer-owned objects (wallets, their audit trail and their vault cards).
pub const PLATFORM: &str = "platform";
/// Object kind of a wallet.
pub const WALLET_KIND: &str = "easy_pay_wallet";

/// The platform scope of a mode.
pub fn platform_scope(livemode: bool) -> Scope {
    Scope {
        merchant_id: PLATFORM.into(),
        livemode,
    }
}

/// A Korean mobile number, digits only (`010` + 7–8 digits).
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Phone {
    /// Parses `010-1234-5678`, `01012345678`, `010 1234 5678`.
    pub fn parse(raw: &str) -> Option<Phone> {
        let raw = raw.trim();
        if !raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        {
            return None;
        }
        let d: String = raw.chars().filter(char::is_ascii_digit).collect();
        let mobile = ["010", "011", "016", "017", "018", "019"]
            .iter()
            .any(|p| d.starts_with(p));
        (mobile && (10..=11).contains(&d.len())).then_some(Phone(d))
    }

    /// The digits, for the SMS gateway only.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `010-****-5678`: what merchants, pages and logs may show.
    pub fn masked(&self) -> String {
        let d = &self.0;
        format!("{}-****-{}", &d[..3], &d[d.len() - 4..])
    }

    /// Keyed hash of the number (finds its wallet and its messages, reveals nothing).
    pub fn key(&self, vault: &Vault) -> String {
        vault.keyed_hash("easy_pay.phone.v1", self.0.as_bytes())
    }

    /// The id of the wallet of this number in `livemode`.
    pub fn wallet_id(&self, vault: &Vault, livemode: bool) -> String {
        let mode = if livemode { "live" } else { "test" };
        let h = vault.keyed_hash(
            "easy_pay.wallet.v1",
            format!("{mode}|{}", self.0).as_bytes(),
        );
        format!("ewal_{}", &h[..32])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_parse_and_mask() {
        let p = Phone::parse("010-1234-5678").unwrap();
        assert_eq!(p.digits(), "01012345678");
        assert_eq!(p.masked(), "010-****-5678");
        assert_eq!(format!("{p:?}"), "010-****-5678");
        assert!(Phone::parse("02-123-4567").is_none());
        assert!(Phone::parse("0101234567a").is_none());
        assert!(Phone::parse("010123").is_none());
    }
}
