//! Every refusal of the ISP server, with the code string of its `{"error":{"code"}}` answer and
//! its HTTP status. paygate passes the code on as the Stripe error's `code`.

/// One refusal. The verification checks run in the order of the variants from
/// [`IspCheck::CertificateInvalid`] to [`IspCheck::SignatureReplayed`]; the first that fails
/// is the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IspCheck {
    /// The request body is not the JSON the endpoint takes.
    RequestInvalid,
    /// Enrolment: the CSR is not a PEM PKCS#10 request with a P-256 key and a valid
    /// self-signature.
    CsrInvalid,
    /// Enrolment: the issuer would not issue for this card (network simulator rules).
    CardDeclined,
    /// Enrolment: the client did not confirm an ISP password was set.
    PasswordNotSet,
    /// Revocation: no certificate has this serial.
    CertificateUnknown,
    /// 1. Not a PEM X.509 certificate with a P-256 key.
    CertificateInvalid,
    /// 2. The chain to the server's CA does not verify.
    CertificateUntrusted,
    /// 3. Outside the certificate's notBefore/notAfter.
    CertificateExpired,
    /// 4. The certificate was revoked.
    CertificateRevoked,
    /// 5. Bad base64/DER, or the ECDSA check over the exact signed bytes fails.
    SignatureInvalid,
    /// 6. The signed text is not the JSON shape of [`crate::SignedData`].
    SignedDataInvalid,
    /// 7. payment_intent, merchant, amount or currency differs from what paygate expects.
    SignedDataMismatch,
    /// 8. `signed_at` more than 5 minutes away from the server's clock.
    SignatureExpired,
    /// 9a. The card JWE does not decrypt, or its fields are invalid (also at enrolment).
    CardInvalid,
    /// 9b. The card is not the one bound to the certificate.
    CardMismatch,
    /// 10. This signature was already used by a verification.
    SignatureReplayed,
}

/// Every variant, for tables and tests.
pub const ALL: [IspCheck; 16] = {
    const OTHERS: [IspCheck; 5] = [
        IspCheck::RequestInvalid,
        IspCheck::CsrInvalid,
        IspCheck::CardDeclined,
        IspCheck::PasswordNotSet,
        IspCheck::CertificateUnknown,
    ];
    let mut all = [IspCheck::RequestInvalid; 16];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < OTHERS.len() {
            OTHERS[i]
        } else {
            IspCheck::VERIFY[i - OTHERS.len()]
        };
        i += 1;
    }
    all
};

impl IspCheck {
    /// The refusals `POST /v1/verify` answers with, in the order the server runs them.
    pub const VERIFY: [IspCheck; 11] = [
        IspCheck::CertificateInvalid,
        IspCheck::CertificateUntrusted,
        IspCheck::CertificateExpired,
        IspCheck::CertificateRevoked,
        IspCheck::SignatureInvalid,
        IspCheck::SignedDataInvalid,
        IspCheck::SignedDataMismatch,
        IspCheck::SignatureExpired,
        IspCheck::CardInvalid,
        IspCheck::CardMismatch,
        IspCheck::SignatureReplayed,
    ];

    /// The wire code, e.g. `isp_signature_invalid`.
    pub fn code(self) -> &'static str {
        match self {
            IspCheck::RequestInvalid => "isp_request_invalid",
            IspCheck::CsrInvalid => "isp_csr_invalid",
            IspCheck::CardDeclined => "isp_card_declined",
            IspCheck::PasswordNotSet => "isp_password_not_set",
            IspCheck::CertificateUnknown => "isp_certificate_unknown",
            IspCheck::CertificateInvalid => "isp_certificate_invalid",
            IspCheck::CertificateUntrusted => "isp_certificate_untrusted",
            IspCheck::CertificateExpired => "isp_certificate_expired",
            IspCheck::CertificateRevoked => "isp_certificate_revoked",
            IspCheck::SignatureInvalid => "isp_signature_invalid",
            IspCheck::SignedDataInvalid => "isp_signed_data_invalid",
            IspCheck::SignedDataMismatch => "isp_signed_data_mismatch",
            IspCheck::SignatureExpired => "isp_signature_expired",
            IspCheck::CardInvalid => "isp_card_invalid",
            IspCheck::CardMismatch => "isp_card_mismatch",
            IspCheck::SignatureReplayed => "isp_signature_replayed",
        }
    }

    /// The check with this wire code.
    pub fn from_code(code: &str) -> Option<IspCheck> {
        ALL.into_iter().find(|c| c.code() == code)
    }

    /// HTTP status of the refusal: 400 for malformed input, 404 for an unknown serial, 402
    /// for a well-formed request that does not pass.
    pub fn http_status(self) -> u16 {
        match self {
            IspCheck::RequestInvalid
            | IspCheck::CsrInvalid
            | IspCheck::PasswordNotSet
            | IspCheck::CertificateInvalid
            | IspCheck::SignedDataInvalid
            | IspCheck::CardInvalid => 400,
            IspCheck::CertificateUnknown => 404,
            _ => 402,
        }
    }

    /// The field of the verify request (`certificate`, `signed_data`, `signature`, `card`) the
    /// refusal is about; paygate names it as `payment_method_data[isp][<field>]`.
    pub fn field(self) -> Option<&'static str> {
        match self {
            IspCheck::CertificateInvalid
            | IspCheck::CertificateUntrusted
            | IspCheck::CertificateExpired
            | IspCheck::CertificateRevoked
            | IspCheck::CertificateUnknown => Some("certificate"),
            IspCheck::SignatureInvalid
            | IspCheck::SignatureExpired
            | IspCheck::SignatureReplayed => Some("signature"),
            IspCheck::SignedDataInvalid | IspCheck::SignedDataMismatch => Some("signed_data"),
            IspCheck::CardInvalid | IspCheck::CardMismatch | IspCheck::CardDeclined => Some("card"),
            IspCheck::CsrInvalid => Some("csr"),
            IspCheck::PasswordNotSet => Some("password_set"),
            IspCheck::RequestInvalid => None,
        }
    }

    /// A default English message.
    pub fn message(self) -> &'static str {
        match self {
            IspCheck::RequestInvalid => "The request body is not valid JSON for this endpoint.",
            IspCheck::CsrInvalid => {
                "csr must be a PEM PKCS#10 request with a P-256 key and a valid self-signature."
            }
            IspCheck::CardDeclined => "The card issuer declined to enrol this card.",
            IspCheck::PasswordNotSet => "password_set must be true: set an ISP password first.",
            IspCheck::CertificateUnknown => "No certificate has this serial.",
            IspCheck::CertificateInvalid => {
                "certificate must be a PEM X.509 certificate with a P-256 key."
            }
            IspCheck::CertificateUntrusted => "The certificate was not issued by this ISP server.",
            IspCheck::CertificateExpired => "The certificate is outside its validity period.",
            IspCheck::CertificateRevoked => "The certificate has been revoked.",
            IspCheck::SignatureInvalid => {
                "signature is not a valid ECDSA P-256 signature of signed_data by the certificate's key."
            }
            IspCheck::SignedDataInvalid => {
                "signed_data must be JSON with payment_intent, merchant, amount, currency and signed_at."
            }
            IspCheck::SignedDataMismatch => "signed_data does not match the payment.",
            IspCheck::SignatureExpired => {
                "signed_at is more than 5 minutes from the server's clock."
            }
            IspCheck::CardInvalid => "card must be a JWE of the card data to this server's key.",
            IspCheck::CardMismatch => "The card is not the one bound to the certificate.",
            IspCheck::SignatureReplayed => "This signature was already used.",
        }
    }
}

impl std::fmt::Display for IspCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for (i, c) in ALL.iter().enumerate() {
            assert_eq!(IspCheck::from_code(c.code()), Some(*c));
            assert!(ALL[i + 1..].iter().all(|o| o.code() != c.code()));
            assert!(c.code().starts_with("isp_"));
        }
        assert_eq!(IspCheck::from_code("isp_nothing"), None);
        assert_eq!(IspCheck::SignatureReplayed.http_status(), 402);
        assert_eq!(IspCheck::SignedDataInvalid.http_status(), 400);
        assert_eq!(IspCheck::CertificateUnknown.http_status(), 404);
    }
}
