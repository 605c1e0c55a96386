//! `paygate logs tail`: the merchant's API requests as the gateway serves them (its
//! `GET /v1/request_log/stream`): method, path, status, request id, duration, idempotency key
//! — never bodies. A broken stream is reopened (lines served meanwhile are not replayed: the
//! log is a live view, not a record).

use super::{Api, ApiArgs, print_json, timestamp};
use clap::Subcommand;
use serde_json::Value;
use std::time::Duration;

/// The pause before reopening a broken stream.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

#[derive(Subcommand)]
pub enum LogsCmd {
    /// Stream the merchant's request log.
    Tail(TailArgs),
}

#[derive(clap::Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Only these statuses: a class (`2xx`, `4xx`, `5xx`, …) or a code (`402`); comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = parse_status)]
    pub filter_status: Vec<StatusFilter>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A status to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// `4xx`: 400 to 499.
    Class(u16),
    /// `402`.
    Code(u16),
}

impl StatusFilter {
    fn keeps(self, status: u16) -> bool {
        match self {
            StatusFilter::Class(c) => status / 100 == c,
            StatusFilter::Code(c) => status == c,
        }
    }
}

fn parse_status(s: &str) -> Result<StatusFilter, String> {
    let bad = || format!("{s:?}: a status class (1xx to 5xx) or a status code (100 to 599)");
    let s = s.trim().to_ascii_lowercase();
    let filter = match s.strip_suffix("xx") {
        Some(c) => StatusFilter::Class(c.parse().map_err(|_| bad())?),
        None => StatusFilter::Code(s.parse().map_err(|_| bad())?),
    };
    match filter {
        StatusFilter::Class(1..=5) | StatusFilter::Code(100..=599) => Ok(filter),
        _ => Err(bad()),
    }
}

pub async fn run(cmd: LogsCmd) -> Result<(), String> {
    let LogsCmd::Tail(args) = cmd;
    let api = Api::new(&args.api)?;
    let path = "/v1/request_log/stream";
    let mut reader = api.stream(path, None).await?;
    if args.json {
        print_json(&serde_json::json!({"object": "logs.ready"}));
    } else {
        println!("Ready! Tailing the request log (^C to quit)");
    }
    loop {
        match reader.next().await {
            Ok(Some(m)) if m.event == "request" => {
                let line: Value = serde_json::from_str(&m.data).unwrap_or(Value::Null);
                let status = line["status"].as_u64().unwrap_or(0);
                let status = u16::try_from(status).unwrap_or(0);
                if args.filter_status.is_empty()
                    || args.filter_status.iter().any(|f| f.keeps(status))
                {
                    print_line(&line, args.json);
                }
            }
            Ok(Some(m)) if m.event == "lagged" => eprintln!("some lines were dropped: {}", m.data),
            Ok(Some(_)) => {}
            ended => {
                if let Err(e) = ended {
                    eprintln!("{e}; reconnecting");
                }
                reader = loop {
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    match api.stream(path, None).await {
                        Ok(r) => break r,
                        Err(e) => eprintln!("{e}; retrying"),
                    }
                };
            }
        }
    }
}

/// `2026-12-03 08:00:01  [200] POST /v1/payment_intents [req_…] 12 ms idempotency_key=…`
fn print_line(line: &Value, json: bool) {
    if json {
        print_json(line);
        return;
    }
    let s = |k: &str| line[k].as_str().unwrap_or("-").to_string();
    let idem = line["idempotency_key"]
        .as_str()
        .map(|k| format!(" idempotency_key={k}"))
        .unwrap_or_default();
    println!(
        "{}  [{}] {} {} [{}] {} ms{idem}",
        timestamp(line["created"].as_i64().unwrap_or(0)),
        line["status"],
        s("method"),
        s("path"),
        s("request_id"),
        line["duration_ms"]
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters_parse_and_keep() {
        assert_eq!(parse_status("4xx"), Ok(StatusFilter::Class(4)));
        assert_eq!(parse_status("402"), Ok(StatusFilter::Code(402)));
        assert!(parse_status("9xx").is_err());
        assert!(parse_status("abc").is_err());
        assert!(StatusFilter::Class(4).keeps(402));
        assert!(!StatusFilter::Class(4).keeps(200));
    }
}
