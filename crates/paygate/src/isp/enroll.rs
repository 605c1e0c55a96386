//! `paygate isp enroll`: asks for the card and a new ISP password, makes a P-256 key pair,
//! sends a CSR and the card (JWE to the server's encryption key) to `/v1/enroll`, and writes
//! the wallet with the certificate it gets back.

use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::p256::elliptic_curve::Generate;
use paygate_isp::{CardPayload, csr, jwe};
use serde_json::json;

use super::prompt::{self, ENV_CARD_CVC, ENV_CARD_EXPIRY, ENV_CARD_NUMBER, ENV_PASSWORD};
use super::wallet::WalletFile;
use super::{EnrollArgs, encryption_key, http, json_of};

/// Shortest ISP password accepted.
const MIN_PASSWORD_CHARS: usize = 6;

/// Runs the command.
pub async fn run(args: EnrollArgs) -> Result<(), String> {
    if args.wallet.exists() {
        return Err(format!(
            "--wallet {}: the file exists; remove it to enrol another card",
            args.wallet.display()
        ));
    }
    let card = read_card()?;
    let password = read_new_password()?;
    let base = args.isp_url.trim_end_matches('/');
    let client = http()?;
    let (jwk, kid) = encryption_key(&client, base).await?;
    let key = SigningKey::try_generate().map_err(|e| format!("random key: {e}"))?;
    let body = json!({
        "csr": csr::build(&key).map_err(|e| e.to_string())?,
        "card": jwe::encrypt_card(&jwk, &kid, &card).map_err(|e| e.to_string())?,
        "password_set": true,
    });
    let resp = client
        .post(format!("{base}/v1/enroll"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("--isp-url {base}: {e}"))?;
    let issued = json_of("enrolment", resp).await?;
    let (Some(certificate), Some(serial)) =
        (issued["certificate"].as_str(), issued["serial"].as_str())
    else {
        return Err("enrolment: the answer has no certificate and serial".to_owned());
    };
    let wallet = WalletFile::create(base, certificate, serial, &key, &card, &password)?;
    wallet.save(&args.wallet).map_err(|e| e.to_string())?;
    println!("enrolled card ••••{} at {base}", card.last4());
    println!("certificate serial {serial}");
    println!("wallet written to {}", args.wallet.display());
    Ok(())
}

fn read_card() -> Result<CardPayload, String> {
    let number = prompt::secret(ENV_CARD_NUMBER, "Card number", true)?;
    let expiry = prompt::secret(ENV_CARD_EXPIRY, "Expiry (MM/YY)", true)?;
    let cvc = prompt::secret(ENV_CARD_CVC, "CVC", true)?;
    let (exp_month, exp_year) = prompt::parse_expiry(&expiry)?;
    let digits: String = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let card = CardPayload {
        number: digits,
        exp_month,
        exp_year,
        cvc: (!cvc.is_empty()).then(|| cvc.to_string()),
    };
    card.validate().map_err(|e| e.to_string())?;
    Ok(card)
}

/// The new password: from the environment, or typed twice.
fn read_new_password() -> Result<zeroize::Zeroizing<String>, String> {
    let from_env = std::env::var_os(ENV_PASSWORD).is_some();
    let password = prompt::secret(ENV_PASSWORD, "New ISP password", true)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "ISP password: must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if !from_env {
        let again = prompt::secret(ENV_PASSWORD, "Repeat the ISP password", true)?;
        if *again != *password {
            return Err("ISP password: the two entries differ".to_owned());
        }
    }
    Ok(password)
}
