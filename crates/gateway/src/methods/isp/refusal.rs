//! The ISP server's refusals as the merchant sees them: each check's code (the server's own,
//! passed through as the Stripe error's `code`), its HTTP status and type, and the
//! `payment_method_data[isp][…]` field it is about.

use crate::error::ApiError;

/// A check of the ISP server that refused a payment (the contract's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    CertificateInvalid,
    CertificateUntrusted,
    CertificateExpired,
    CertificateRevoked,
    SignatureInvalid,
    SignedDataInvalid,
    SignedDataMismatch,
    SignatureExpired,
    CardInvalid,
    CardMismatch,
    SignatureReplayed,
}

impl Check {
    /// Every check, in the order the server runs them.
    pub const ALL: [Check; 11] = [
        Check::CertificateInvalid,
        Check::CertificateUntrusted,
        Check::CertificateExpired,
        Check::CertificateRevoked,
        Check::SignatureInvalid,
        Check::SignedDataInvalid,
        Check::SignedDataMismatch,
        Check::SignatureExpired,
        Check::CardInvalid,
        Check::CardMismatch,
        Check::SignatureReplayed,
    ];

    /// The code, as the ISP server and the API say it.
    pub fn code(self) -> &'static str {
        match self {
            Check::CertificateInvalid => "isp_certificate_invalid",
            Check::CertificateUntrusted => "isp_certificate_untrusted",
            Check::CertificateExpired => "isp_certificate_expired",
            Check::CertificateRevoked => "isp_certificate_revoked",
            Check::SignatureInvalid => "isp_signature_invalid",
            Check::SignedDataInvalid => "isp_signed_data_invalid",
            Check::SignedDataMismatch => "isp_signed_data_mismatch",
            Check::SignatureExpired => "isp_signature_expired",
            Check::CardInvalid => "isp_card_invalid",
            Check::CardMismatch => "isp_card_mismatch",
            Check::SignatureReplayed => "isp_signature_replayed",
        }
    }

    /// Inverse of [`Check::code`].
    pub fn parse(code: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Malformed input is a 400 `invalid_request_error`; a well-formed submission the issuer
    /// refuses is a 402 `card_error`.
    pub fn is_malformed(self) -> bool {
        matches!(
            self,
            Check::CertificateInvalid | Check::SignedDataInvalid | Check::CardInvalid
        )
    }

    /// The field of `payment_method_data[isp]` the check is about.
    pub fn field(self) -> &'static str {
        match self {
            Check::CertificateInvalid
            | Check::CertificateUntrusted
            | Check::CertificateExpired
            | Check::CertificateRevoked => "certificate",
            Check::SignatureInvalid | Check::SignatureReplayed => "signature",
            Check::SignedDataInvalid | Check::SignedDataMismatch | Check::SignatureExpired => {
                "signed_data"
            }
            Check::CardInvalid | Check::CardMismatch => "card",
        }
    }

    /// The merchant-facing explanation (the server's own message is logged, not sent: it may
    /// say more about the server's state than a payer should learn).
    pub fn message(self) -> &'static str {
        match self {
            Check::CertificateInvalid => "The ISP certificate is not a P-256 X.509 certificate.",
            Check::CertificateUntrusted => {
                "The ISP certificate was not issued by the card company's ISP CA."
            }
            Check::CertificateExpired => "The ISP certificate is outside its validity period.",
            Check::CertificateRevoked => "The ISP certificate has been revoked.",
            Check::SignatureInvalid => {
                "The ISP signature does not verify over signed_data with the certificate's key."
            }
            Check::SignedDataInvalid => {
                "signed_data must be the JSON object {payment_intent, merchant, amount, currency, \
                 signed_at} that was signed."
            }
            Check::SignedDataMismatch => {
                "signed_data does not match this payment (payment_intent, merchant, amount or \
                 currency differ)."
            }
            Check::SignatureExpired => {
                "The ISP signature is too old or too far in the future (signed_at must be within \
                 5 minutes): sign again."
            }
            Check::CardInvalid => "The ISP card data could not be decrypted or is incomplete.",
            Check::CardMismatch => "The card is not the one bound to this ISP certificate.",
            Check::SignatureReplayed => {
                "This ISP signature was already used; every payment needs a fresh signature."
            }
        }
    }

    /// The Stripe error of this refusal.
    pub fn error(self) -> ApiError {
        let param = format!("payment_method_data[isp][{}]", self.field());
        if self.is_malformed() {
            ApiError::invalid(&param, self.code(), self.message())
        } else {
            ApiError::card(self.code(), None, self.message()).with_param(&param)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_names_its_code_status_and_field() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.code()), Some(c));
            let e = c.error();
            assert_eq!(e.code, Some(c.code()));
            assert_eq!(e.status.as_u16(), if c.is_malformed() { 400 } else { 402 });
            let param = e.param.unwrap();
            assert!(param.starts_with("payment_method_data[isp]["), "{param}");
        }
        assert_eq!(Check::parse("isp_nope"), None);
        assert_eq!(
            Check::SignatureReplayed.error().body()["error"]["type"],
            "card_error"
        );
    }
}
