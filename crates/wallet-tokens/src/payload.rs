//! What a decrypted token carries, in one shape for both wallets. Apple's payload
//! (`applicationPrimaryAccountNumber`, YYMMDD expiry, numeric currency) and Samsung's (`tokenPAN`,
//! MMYY expiry, alphabetic currency) are read by their own functions below.

use std::fmt;

use serde::Deserialize;
use zeroize::Zeroize;

use crate::{UnixTime, WalletError};

/// Which wallet made the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wallet {
    /// Apple Pay (`tokenization_method = apple_pay`).
    ApplePay,
    /// Samsung Pay (`tokenization_method = samsung_pay`).
    SamsungPay,
}

impl Wallet {
    /// Stripe's name (`card.tokenization_method`, `card.wallet.type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Wallet::ApplePay => "apple_pay",
            Wallet::SamsungPay => "samsung_pay",
        }
    }
}

/// A verified and decrypted wallet token. `Debug` hides the DPAN and the cryptogram; both are
/// wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct WalletToken {
    /// The wallet.
    pub wallet: Wallet,
    /// The device token (DPAN), digits.
    pub dpan: String,
    /// Expiry month of the DPAN, 1..=12.
    pub exp_month: u8,
    /// Expiry year of the DPAN, four digits.
    pub exp_year: u16,
    /// The one-time online payment cryptogram, base64 as the wallet gave it.
    pub cryptogram: String,
    /// The ECI, normalised to 2 digits ("5" → "05"), when the wallet gave one.
    pub eci: Option<String>,
    /// The amount the payer approved on the phone, minor units, when the token says.
    pub amount_minor: Option<i64>,
    /// The currency the payer approved: ISO 4217 numeric (Apple) or alphabetic (Samsung).
    pub currency: Option<String>,
    /// Apple Pay's `header.transactionId` (lower-case hex) / Samsung's none: what the gateway
    /// never accepts twice.
    pub transaction_id: Option<String>,
    /// When the token was signed (Apple's CMS signingTime) or created (Samsung's `utc`).
    pub created_at: UnixTime,
}

impl WalletToken {
    /// The DPAN's last 4 digits (Stripe's `wallet.dynamic_last4`).
    pub fn dynamic_last4(&self) -> &str {
        &self.dpan[self.dpan.len().saturating_sub(4)..]
    }
}

impl fmt::Debug for WalletToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalletToken")
            .field("wallet", &self.wallet)
            .field("dpan", &format_args!("****{}", self.dynamic_last4()))
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cryptogram", &"[redacted]")
            .field("eci", &self.eci)
            .field("amount_minor", &self.amount_minor)
            .field("currency", &self.currency)
            .field("transaction_id", &self.transaction_id)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl Drop for WalletToken {
    fn drop(&mut self) {
        self.dpan.zeroize();
        self.cryptogram.zeroize();
    }
}

/// Apple's decrypted `data`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplePayload {
    application_primary_account_number: String,
    application_expiration_date: String,
    currency_code: Option<String>,
    transaction_amount: Option<i64>,
    payment_data_type: Option<String>,
    payment_data: ApplePaymentData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplePaymentData {
    online_payment_cryptogram: Option<String>,
    eci_indicator: Option<String>,
}

/// Reads Apple's plaintext (3-D Secure type only: the EMV type is for China and carries no
/// online cryptogram).
pub(crate) fn apple(
    plaintext: &[u8],
    transaction_id: String,
    signed_at: UnixTime,
) -> Result<WalletToken, WalletError> {
    let p: ApplePayload =
        serde_json::from_slice(plaintext).map_err(|_| WalletError::Undecryptable)?;
    if p.payment_data_type
        .as_deref()
        .is_some_and(|t| t != "3DSecure")
    {
        return Err(WalletError::malformed(
            "paymentDataType",
            "must be 3DSecure (EMV payment data is not supported)",
        ));
    }
    let exp = p.application_expiration_date.as_bytes();
    let (year, month) = match exp {
        [y1, y2, m1, m2, _, _] if exp.iter().all(u8::is_ascii_digit) => (
            2000 + u16::from((y1 - b'0') * 10 + (y2 - b'0')),
            (m1 - b'0') * 10 + (m2 - b'0'),
        ),
        _ => {
            return Err(WalletError::malformed(
                "applicationExpirationDate",
                "must be YYMMDD",
            ));
        }
    };
    let cryptogram = p
        .payment_data
        .online_payment_cryptogram
        .ok_or(WalletError::malformed(
            "paymentData.onlinePaymentCryptogram",
            "is required",
        ))?;
    token(Parts {
        wallet: Wallet::ApplePay,
        dpan: p.application_primary_account_number,
        exp_month: month,
        exp_year: year,
        cryptogram,
        eci: p.payment_data.eci_indicator,
        amount_minor: p.transaction_amount,
        currency: p.currency_code,
        transaction_id: Some(transaction_id),
        created_at: signed_at,
    })
}

/// Samsung's decrypted JWE payload.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SamsungPayload {
    #[serde(rename = "tokenPAN")]
    token_pan: String,
    token_pan_expiration: String,
    cryptogram: String,
    #[serde(rename = "eci_indicator")]
    eci: Option<String>,
    amount: Option<String>,
    #[serde(rename = "currency_code")]
    currency: Option<String>,
    utc: String,
}

/// Reads Samsung's plaintext; `utc` (epoch milliseconds) becomes the creation time.
pub(crate) fn samsung(plaintext: &[u8]) -> Result<WalletToken, WalletError> {
    let p: SamsungPayload =
        serde_json::from_slice(plaintext).map_err(|_| WalletError::Undecryptable)?;
    let exp = p.token_pan_expiration.as_bytes();
    let (month, year) = match exp {
        [m1, m2, y1, y2] if exp.iter().all(u8::is_ascii_digit) => (
            (m1 - b'0') * 10 + (m2 - b'0'),
            2000 + u16::from((y1 - b'0') * 10 + (y2 - b'0')),
        ),
        _ => return Err(WalletError::malformed("tokenPanExpiration", "must be MMYY")),
    };
    let utc_ms: i64 = p
        .utc
        .parse()
        .map_err(|_| WalletError::malformed("utc", "must be epoch milliseconds"))?;
    let amount_minor = match p.amount {
        Some(a) => Some(
            a.parse()
                .map_err(|_| WalletError::malformed("amount", "must be minor units"))?,
        ),
        None => None,
    };
    token(Parts {
        wallet: Wallet::SamsungPay,
        dpan: p.token_pan,
        exp_month: month,
        exp_year: year,
        cryptogram: p.cryptogram,
        eci: p.eci,
        amount_minor,
        currency: p.currency,
        transaction_id: None,
        created_at: utc_ms.div_euclid(1000),
    })
}

struct Parts {
    wallet: Wallet,
    dpan: String,
    exp_month: u8,
    exp_year: u16,
    cryptogram: String,
    eci: Option<String>,
    amount_minor: Option<i64>,
    currency: Option<String>,
    transaction_id: Option<String>,
    created_at: UnixTime,
}

/// Checks the common rules: DPAN 12..=19 digits, month 1..=12, cryptogram non-empty base64,
/// ECI 1 or 2 digits (normalised to 2).
fn token(p: Parts) -> Result<WalletToken, WalletError> {
    if !(12..=19).contains(&p.dpan.len()) || !p.dpan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WalletError::malformed("dpan", "must be 12 to 19 digits"));
    }
    if !(1..=12).contains(&p.exp_month) {
        return Err(WalletError::malformed("expiry", "month must be 01 to 12"));
    }
    let b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if p.cryptogram.is_empty() || p.cryptogram.len() > 64 || !p.cryptogram.bytes().all(b64) {
        return Err(WalletError::malformed("cryptogram", "must be base64"));
    }
    let eci = match p.eci.as_deref() {
        None | Some("") => None,
        Some(e) if (1..=2).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("{e:0>2}"))
        }
        Some(_) => return Err(WalletError::malformed("eci", "must be 1 or 2 digits")),
    };
    Ok(WalletToken {
        wallet: p.wallet,
        dpan: p.dpan,
        exp_month: p.exp_month,
        exp_year: p.exp_year,
        cryptogram: p.cryptogram,
        eci,
        amount_minor: p.amount_minor,
        currency: p.currency,
        transaction_id: p.transaction_id,
        created_at: p.created_at,
    })
}
