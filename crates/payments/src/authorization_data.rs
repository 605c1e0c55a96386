//! What travels with an authorization besides the payment method: the payer's authentication
//! (3-D Secure, ISP) and the stored-credential data of a saved card; re-exported by
//! [`crate::connector`].

/// The result of a payer authentication (EMV 3-D Secure, or ISP) an authorization carries to
/// the issuer: the card connector sends it in DE 48 (42 ECI, 43 CAVV, 44 transaction id, 45
/// the program when it is not 3-D Secure). `Debug` never prints the CAVV.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Authentication {
    /// Electronic Commerce Indicator, 2 digits (e.g. "05" Visa authenticated, "02" Mastercard).
    pub eci: String,
    /// The CAVV / AAV (`authenticationValue`), 28 base64 characters; `None` when the ECI says
    /// authentication was not done (e.g. "07" alone).
    pub cavv: Option<String>,
    /// The Directory Server's transaction id, a 36-character UUID; with the CAVV.
    pub ds_trans_id: Option<String>,
    /// The 3-D Secure protocol version, e.g. "2.2.0" (the ISP server's for ISP).
    pub version: String,
    /// Which program authenticated the cardholder (absent in stored data = 3-D Secure).
    #[serde(default)]
    pub program: AuthenticationProgram,
}

/// The program that authenticated the cardholder; both produce an ECI, a CAVV and a
/// transaction id the issuer checks the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationProgram {
    /// EMV 3-D Secure (안심클릭): the DS's transaction id.
    #[default]
    ThreeDSecure,
    /// ISP (안전결제): a certificate and signature verified by the card company's ISP server,
    /// whose transaction id names the verification.
    Isp,
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authentication")
            .field("eci", &self.eci)
            .field("cavv", &self.cavv.as_ref().map(|_| "<redacted>"))
            .field("ds_trans_id", &self.ds_trans_id)
            .field("version", &self.version)
            .field("program", &self.program)
            .finish()
    }
}

/// What an authorization asks of the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationKind {
    /// Reserve the amount, captured later (`capture_method=manual`).
    Authorization,
    /// Authorize and capture in one message (`capture_method=automatic`).
    Purchase,
    /// Check the card (number, expiry, CVC, status) without moving money: the amount is 0,
    /// nothing is reserved, and a lost answer needs no reversal (SetupIntents, wallet cards).
    AccountVerification,
}

/// Which use of a stored card (credential-on-file) an authorization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredCredentialUsage {
    /// Customer-initiated, the card being stored now (a SetupIntent, `setup_future_usage`).
    Initial,
    /// Merchant-initiated, one of a series at agreed intervals (a subscription).
    Recurring,
    /// Merchant-initiated, at no fixed schedule.
    Unscheduled,
}

/// Credential-on-file data of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCredential<'a> {
    pub usage: StoredCredentialUsage,
    /// The network transaction id of the initial use; required for merchant-initiated uses.
    pub original_network_transaction_id: Option<&'a str>,
}
