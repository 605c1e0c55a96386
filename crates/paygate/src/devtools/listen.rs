//! `paygate listen --forward-to URL`: the merchant's events, as the gateway records them, sent
//! on to a local URL the way a webhook endpoint gets them — the event JSON, signed with a
//! signing secret made for this run (`whsec_…`, printed at the start) in the webhooks'
//! `Stripe-Signature` scheme (`paygate_gateway::webhooks::signature_header`). One line per
//! event and one per forward. A failed forward is reported, never retried (a development
//! tool); a broken stream is reopened after the last event received (`Last-Event-ID`), so
//! nothing is lost across a reconnect.

use super::sse::Message;
use super::{Api, ApiArgs, now, print_json, timestamp};
use paygate_gateway::ids::random_base62;
use paygate_gateway::webhooks::signature_header;
use serde_json::json;
use std::time::Duration;

/// How long the local endpoint may take to answer a forward.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause before reopening a broken stream.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Random characters of the signing secret (as the gateway's webhook secrets).
const SECRET_CHARS: usize = 32;

#[derive(clap::Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Where each event is POSTed (e.g. http://localhost:3000/webhook).
    #[arg(long, value_name = "URL")]
    pub forward_to: String,
    /// Only these event types (comma-separated, e.g. payment_intent.succeeded,charge.refunded).
    #[arg(long, value_delimiter = ',')]
    pub events: Vec<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

struct Forwarder {
    http: reqwest::Client,
    url: String,
    secret: String,
    json: bool,
}

pub async fn run(args: ListenArgs) -> Result<(), String> {
    let api = Api::new(&args.api)?;
    let url = reqwest::Url::parse(&args.forward_to)
        .map_err(|e| format!("--forward-to: not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("--forward-to: the URL must be http:// or https://".into());
    }
    let fwd = Forwarder {
        http: reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?,
        url: args.forward_to.clone(),
        secret: format!("whsec_{}", random_base62(SECRET_CHARS)),
        json: args.json,
    };
    let path = stream_path(&args.events)?;
    let mut reader = api.stream(&path, None).await?;
    if fwd.json {
        print_json(
            &json!({"object": "listen.ready", "webhook_signing_secret": fwd.secret,
            "forward_to": fwd.url}),
        );
    } else {
        println!(
            "Ready! Your webhook signing secret is {} (^C to quit)",
            fwd.secret
        );
    }
    loop {
        match reader.next().await {
            Ok(Some(m)) => fwd.forward(&m).await,
            ended => {
                if let Err(e) = ended {
                    eprintln!("{e}; reconnecting");
                }
                let last = reader.last_id.take();
                reader = reopen(&api, &path, last).await;
            }
        }
    }
}

/// `/v1/events/stream` with a `types[]` filter; an event type is lowercase letters, digits,
/// `_` and `.` (so it needs no escaping).
fn stream_path(types: &[String]) -> Result<String, String> {
    let mut path = "/v1/events/stream".to_string();
    let mut sep = '?';
    for t in types.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
        if !t.chars().all(valid) {
            return Err(format!(
                "--events: {t:?} is not an event type (lowercase letters, digits, '_' and '.')"
            ));
        }
        path.push_str(&format!("{sep}types[]={t}"));
        sep = '&';
    }
    Ok(path)
}

/// Opens the stream again after `last`, until it opens.
async fn reopen(api: &Api, path: &str, last: Option<String>) -> super::sse::Reader {
    loop {
        tokio::time::sleep(RECONNECT_PAUSE).await;
        match api.stream(path, last.as_deref()).await {
            Ok(mut r) => {
                r.last_id = last;
                return r;
            }
            Err(e) => eprintln!("{e}; retrying"),
        }
    }
}

impl Forwarder {
    /// POSTs the event, signed, and prints what happened.
    async fn forward(&self, m: &Message) {
        let id = m.id.as_deref().unwrap_or("-");
        let received = now();
        if !self.json {
            println!("{}  --> {} [{id}]", timestamp(received), m.event);
        }
        let body = m.data.clone().into_bytes();
        let sig = signature_header(&self.secret, now(), &body);
        let sent = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("stripe-signature", sig)
            .body(body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        if self.json {
            print_json(
                &json!({"object": "listen.forward", "created": received, "event": id,
                "type": m.event, "url": self.url, "status": status, "error": error}),
            );
            return;
        }
        let line = match (status, error) {
            (Some(s), _) => format!("<-- [{s}] POST {} [{id}]", self.url),
            (None, e) => format!(
                "<-- [ERR] POST {} [{id}] failed: {}",
                self.url,
                e.unwrap_or_default()
            ),
        };
        println!("{}  {line}", timestamp(now()));
    }
}
