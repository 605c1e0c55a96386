//! Apple Pay and Samsung Pay online: `POST /v1/tokens` with `pk_token` or `samsung_pay_token`
//! turns a wallet's encrypted payment token into a single-use `tok_…` (Stripe's token object,
//! `card.tokenization_method`), which a confirm then pays with
//! (`payment_method_data[card][token]` or `payment_method=tok_…`): the DPAN goes to the card
//! network in DE 2 and the one-time cryptogram and ECI in DE 48.43/42
//! (`docs/WALLETS.md`, `docs/iso8583.md`).
//!
//! - [`keys`]: the merchants' processing keys, sealed by the vault (the CLI's add/list/remove);
//! - [`api`]: the HTTP handlers;
//! - `token`: the checks (`paygate_wallet_tokens`, at the request's clock time), the
//!   transaction id's replay record, the token document with the DPAN and the cryptogram
//!   sealed, and its single use by a confirm.

pub mod api;
pub mod keys;
mod token;

pub use token::{WalletAuth, token_card};
