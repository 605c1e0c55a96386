//! Checkout Sessions (`/v1/checkout/sessions`, Stripe Checkout's API) and what the hosted
//! page (`crate::checkout_pages`) needs: the session document and its status table
//! ([`session`]), the create parameters ([`params`]), the ONE table of methods the page
//! offers ([`methods`]), completion and expiry ([`lifecycle`]), the steps of a payment whose
//! money arrives later ([`delayed`]). docs/CHECKOUT.md.

pub mod delayed;
pub mod lifecycle;
pub mod methods;
pub mod params;
pub mod session;

pub use lifecycle::KIND;
pub use session::CheckoutSession;
