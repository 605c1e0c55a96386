//! ISP (안전결제): the cardholder's own certificate signs each payment and the card company's
//! ISP server verifies certificate, signature, signed data and card before the card network
//! authorizes (`docs/ISP.md`).
//!
//! A confirm with `payment_method_data[type]=isp` and the four signed fields
//! (`payment_method_data[isp][certificate|signed_data|signature|card]`) is verified at the ISP
//! server ([`verify`]) before the engine's phase 1; a refusal fails the attempt with the
//! check's code ([`refusal`]), a verification becomes an `isp` PaymentMethod (the card sealed
//! in the vault) and the card engine's `Authorize` with the ISP result as the authentication
//! (DE 48.42–45) and the evidence on the charge ([`evidence`]) — [`signed::confirm_signed`],
//! the one path of the API and the payer page ([`page`]). A confirm without them puts the
//! intent in `requires_action` with the signature request ([`signature_request`]).

pub mod client;
pub mod evidence;
pub mod page;
pub mod refusal;
pub mod signature_request;
pub mod signed;
pub mod verify;

pub use page::{confirm_from_page, page_token, verify_page_token};
pub use signed::confirm_signed;

use super::Confirm;
use crate::api::respond::Responder;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::params::Sub;
use serde::Deserialize;
use serde_json::Value;

/// Longest accepted signed field (a PEM certificate or a JWE is well under this).
pub const MAX_FIELD_CHARS: usize = 16 * 1024;

/// The four signed fields a payer's ISP client submits. `Debug` shows none of them in full
/// (the JWE holds the card, encrypted to the ISP server, but still the payer's).
#[derive(Clone, Deserialize)]
pub struct IspSubmission {
    /// The payer's certificate, PEM.
    pub certificate: String,
    /// The exact UTF-8 JSON text that was signed.
    pub signed_data: String,
    /// Base64 DER ECDSA P-256 SHA-256 signature over `signed_data`'s bytes.
    pub signature: String,
    /// The card, JWE compact (ECDH-ES, A256GCM) to the ISP server's encryption key.
    pub card: String,
}

impl std::fmt::Debug for IspSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IspSubmission")
            .field("certificate_chars", &self.certificate.len())
            .field("signed_data", &self.signed_data)
            .field("signature", &self.signature)
            .field("card", &"<redacted>")
            .finish()
    }
}

impl IspSubmission {
    /// Each field present, non-empty and not oversized; the error names the field.
    pub fn check(&self, path: &str) -> ApiResult<()> {
        let fields = [
            ("certificate", &self.certificate),
            ("signed_data", &self.signed_data),
            ("signature", &self.signature),
            ("card", &self.card),
        ];
        for (name, value) in fields {
            let param = format!("{path}[{name}]");
            if value.trim().is_empty() {
                return Err(ApiError::missing(&param));
            }
            if value.len() > MAX_FIELD_CHARS {
                return Err(ApiError::bad_param(
                    &param,
                    format!("must be at most {MAX_FIELD_CHARS} characters"),
                ));
            }
        }
        Ok(())
    }

    /// `payment_method_data[isp]`: all four fields, nothing else.
    fn from_params(isp: &mut Sub) -> ApiResult<IspSubmission> {
        let sub = IspSubmission {
            certificate: isp.req_str("certificate")?,
            signed_data: isp.req_str("signed_data")?,
            signature: isp.req_str("signature")?,
            card: isp.req_str("card")?,
        };
        isp.deny_unknown()?;
        sub.check(&isp.path)?;
        Ok(sub)
    }
}

/// The ISP server's client, when `isp_url` is configured; else the method is refused naming
/// `payment_method_data[type]`.
pub fn client(st: &crate::state::AppState) -> ApiResult<&client::IspClient> {
    st.isp.as_deref().ok_or_else(|| {
        ApiError::bad_param(
            "payment_method_data[type]",
            "The payment method type 'isp' is not enabled on this gateway (no ISP server is \
             configured: isp_url).",
        )
    })
}

/// Confirms `c` with ISP: the signed payment when the request carries it, else the signature
/// request the payer's ISP client answers.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    client(&ctx.st)?;
    let mut pmd = ctx
        .params
        .object("payment_method_data")?
        .ok_or_else(|| ApiError::missing("payment_method_data[type]"))?;
    pmd.enum_str("type", &["card", "isp"])?;
    let isp = pmd.object("isp")?;
    pmd.allow(&["billing_details", "metadata"]);
    pmd.deny_unknown()?;
    let submission = match isp {
        Some(mut isp) => Some(IspSubmission::from_params(&mut isp)?),
        None => None,
    };
    let respond = Responder::new(ctx, c.expands.clone());
    match submission {
        Some(sub) => signed::confirm_signed(&ctx.rc, &respond, c, sub).await,
        None => signature_request::request(&ctx.rc, &respond, c).await,
    }
}
