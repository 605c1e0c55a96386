//! `paygate isp enroll|pay`: the command-line ISP 안전결제 client (the cardholder's side).
//!
//! ```text
//! paygate isp enroll --isp-url URL --wallet FILE
//! paygate isp pay --url PAYGATE --publishable-key PK --payment-intent PI --client-secret CS
//!                 --wallet FILE [--return-url URL]
//! ```
//!
//! Card number, expiry (MM/YY), CVC and the ISP password come from the terminal without echo
//! or from `PAYGATE_ISP_CARD_NUMBER`, `PAYGATE_ISP_CARD_EXPIRY`, `PAYGATE_ISP_CARD_CVC`,
//! `PAYGATE_ISP_PASSWORD` ([`prompt`]). The wallet ([`wallet`]) keeps the key and the card
//! sealed under the password. The password never leaves this process.

mod enroll;
mod pay;
pub mod prompt;
pub mod wallet;

use std::path::PathBuf;

use serde_json::Value;

/// `paygate isp …`.
#[derive(clap::Subcommand)]
pub enum IspCmd {
    /// Enrol a card at an ISP server: make a key pair, get a certificate, write the wallet.
    Enroll(Box<EnrollArgs>),
    /// Pay a PaymentIntent with the wallet: sign the payment and confirm it at paygate.
    Pay(Box<PayArgs>),
}

/// Arguments of `paygate isp enroll`.
#[derive(clap::Args)]
pub struct EnrollArgs {
    /// Base URL of the ISP server (e.g. http://127.0.0.1:7500).
    #[arg(long, value_name = "URL")]
    pub isp_url: String,
    /// Wallet file to create (refused if it exists).
    #[arg(long, value_name = "FILE")]
    pub wallet: PathBuf,
}

/// Arguments of `paygate isp pay`.
#[derive(clap::Args)]
pub struct PayArgs {
    /// Base URL of paygate (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The merchant's publishable key (pk_…).
    #[arg(long, value_name = "PK")]
    pub publishable_key: String,
    /// The PaymentIntent to pay (pi_…).
    #[arg(long, value_name = "PI")]
    pub payment_intent: String,
    /// Its client_secret.
    #[arg(long, value_name = "CS")]
    pub client_secret: String,
    /// The wallet made by `paygate isp enroll`.
    #[arg(long, value_name = "FILE")]
    pub wallet: PathBuf,
    /// return_url sent when the intent must first be confirmed with type isp (the browser
    /// flow's; the CLI itself does not follow it).
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1/isp-cli/return"
    )]
    pub return_url: String,
}

/// Runs the subcommand.
pub async fn run(cmd: IspCmd) -> Result<(), String> {
    match cmd {
        IspCmd::Enroll(args) => enroll::run(*args).await,
        IspCmd::Pay(args) => pay::run(*args).await,
    }
}

/// HTTP client of both commands.
fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// The ISP server's encryption key at `base` and its `kid` (the JWE header names it).
async fn encryption_key(
    client: &reqwest::Client,
    base: &str,
) -> Result<(paygate_isp::PublicJwk, String), String> {
    let resp = client
        .get(format!("{base}/v1/encryption_key"))
        .send()
        .await
        .map_err(|e| format!("ISP server {base}: {e}"))?;
    let jwk: paygate_isp::PublicJwk =
        serde_json::from_value(json_of("ISP server encryption key", resp).await?)
            .map_err(|e| format!("ISP server encryption key: {e}"))?;
    let kid = jwk
        .kid
        .clone()
        .ok_or("ISP server encryption key has no kid")?;
    Ok((jwk, kid))
}

/// The JSON body of a response; a non-2xx answer becomes `Err` naming the server's error
/// code and message (`{"error":{"code","message"}}`, paygate's and the ISP server's shape).
async fn json_of(what: &str, resp: reqwest::Response) -> Result<Value, String> {
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .map_err(|e| format!("{what}: HTTP {status}, not JSON: {e}"))?;
    if status.is_success() {
        return Ok(body);
    }
    let code = body["error"]["code"].as_str().unwrap_or("unknown_error");
    let message = body["error"]["message"].as_str().unwrap_or("");
    Err(format!(
        "{what} refused: {code} (HTTP {}): {message}",
        status.as_u16()
    ))
}
