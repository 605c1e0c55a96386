//! `paygate isp pay`: opens the wallet with the ISP password (before anything goes over the
//! network), reads the intent's `next_action.isp_signature_request` (confirming it with
//! `payment_method_data[type]=isp` first when it is not waiting for a signature yet), shows
//! what is signed, signs `signed_data`, encrypts the card to the ISP server, confirms at
//! paygate and prints the resulting status.

use paygate_isp::{Expected, SignedData, jwe, signature};
use serde_json::Value;
use time::OffsetDateTime;

use super::prompt::{self, ENV_PASSWORD};
use super::wallet::WalletFile;
use super::{PayArgs, encryption_key, http, json_of};

/// The signature request paygate puts in `next_action`.
struct SignatureRequest {
    expected: Expected,
    isp_url: String,
}

/// Runs the command.
pub async fn run(args: PayArgs) -> Result<(), String> {
    let mut wallet = WalletFile::load(&args.wallet).map_err(|e| e.to_string())?;
    let password = prompt::secret(ENV_PASSWORD, "ISP password", true)?;
    let opened = wallet
        .unlock(&args.wallet, &password, OffsetDateTime::now_utc())
        .map_err(|e| e.to_string())?;
    drop(password);
    let client = http()?;
    let base = args.url.trim_end_matches('/');
    let request = signature_request(&client, base, &args).await?;
    let e = &request.expected;
    println!(
        "signing: {} {} (minor units) to {} for {} with card ••••{}",
        e.amount, e.currency, e.merchant, e.payment_intent, wallet.last4
    );
    let isp = request.isp_url.trim_end_matches('/');
    let (jwk, kid) = encryption_key(&client, isp).await?;
    let signed_data = SignedData::new(&request.expected, OffsetDateTime::now_utc()).to_text();
    let form = [
        ("client_secret", args.client_secret.clone()),
        ("payment_method_data[type]", "isp".to_owned()),
        (
            "payment_method_data[isp][certificate]",
            wallet.certificate.clone(),
        ),
        (
            "payment_method_data[isp][signature]",
            signature::sign(&opened.key, signed_data.as_bytes()),
        ),
        (
            "payment_method_data[isp][card]",
            jwe::encrypt_card(&jwk, &kid, &opened.card).map_err(|e| e.to_string())?,
        ),
        ("payment_method_data[isp][signed_data]", signed_data),
    ];
    let intent = confirm(&client, base, &args, &form).await?;
    let status = intent["status"].as_str().unwrap_or("unknown");
    println!("payment_intent {} status {status}", args.payment_intent);
    match status {
        "succeeded" | "requires_capture" | "processing" => Ok(()),
        other => Err(format!(
            "the payment did not go through: status {other}{}",
            intent["last_payment_error"]["code"]
                .as_str()
                .map(|c| format!(", {c}"))
                .unwrap_or_default()
        )),
    }
}

async fn confirm(
    client: &reqwest::Client,
    base: &str,
    args: &PayArgs,
    form: &[(&str, String)],
) -> Result<Value, String> {
    let resp = client
        .post(format!(
            "{base}/v1/payment_intents/{}/confirm",
            args.payment_intent
        ))
        .bearer_auth(&args.publishable_key)
        .form(form)
        .send()
        .await
        .map_err(|e| format!("--url {base}: {e}"))?;
    json_of("confirm", resp).await
}

/// The intent's signature request; confirms with type isp first when the intent does not
/// wait for a signature yet.
async fn signature_request(
    client: &reqwest::Client,
    base: &str,
    args: &PayArgs,
) -> Result<SignatureRequest, String> {
    let url = reqwest::Url::parse_with_params(
        &format!("{base}/v1/payment_intents/{}", args.payment_intent),
        [("client_secret", &args.client_secret)],
    )
    .map_err(|e| format!("--url {base}: {e}"))?;
    let resp = client
        .get(url)
        .bearer_auth(&args.publishable_key)
        .send()
        .await
        .map_err(|e| format!("--url {base}: {e}"))?;
    let mut intent = json_of("retrieve", resp).await?;
    if intent["next_action"]["isp_signature_request"].is_null() {
        let status = intent["status"].as_str().unwrap_or_default();
        if !matches!(
            status,
            "requires_payment_method" | "requires_confirmation" | "requires_action"
        ) {
            return Err(format!("the payment intent is {status}: nothing to pay"));
        }
        let form = [
            ("client_secret", args.client_secret.clone()),
            ("payment_method_data[type]", "isp".to_owned()),
            ("return_url", args.return_url.clone()),
        ];
        intent = confirm(client, base, args, &form).await?;
    }
    parse_request(&intent["next_action"]["isp_signature_request"])
}

fn parse_request(v: &Value) -> Result<SignatureRequest, String> {
    let missing = || {
        "the payment intent has no next_action.isp_signature_request with payment_intent, \
         merchant, amount, currency and isp_url"
            .to_owned()
    };
    let expected: Expected = serde_json::from_value(v.clone()).map_err(|_| missing())?;
    let isp_url = v["isp_url"].as_str().ok_or_else(missing)?.to_owned();
    Ok(SignatureRequest { expected, isp_url })
}
