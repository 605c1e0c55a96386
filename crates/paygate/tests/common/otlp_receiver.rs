//! An OTLP/HTTP JSON receiver for the trace tests, plain or https: it keeps every body posted
//! to `/v1/traces` and answers 200.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An OTLP/HTTP receiver: keeps the JSON body of every `POST /v1/traces`.
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    /// A plain `http://` receiver.
    pub fn start() -> Receiver {
        Receiver::listen(None)
    }

    /// An `https://` receiver presenting the certificate `cert` (PEM, with its key `key`).
    pub fn start_tls(cert: &Path, key: &Path) -> Receiver {
        let certs = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Receiver::listen(Some(Arc::new(config)))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let sink = bodies.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().map_while(Result::ok) {
                let sink = sink.clone();
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    None => serve_connection(conn, &sink),
                    Some(config) => {
                        let Ok(session) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve_connection(rustls::StreamOwned::new(session, conn), &sink);
                    }
                });
            }
        });
        Receiver { url, bodies }
    }

    /// Every exported span so far.
    pub fn spans(&self) -> Vec<Value> {
        let bodies = self.bodies.lock().unwrap().clone();
        let mut spans = Vec::new();
        for body in bodies {
            let v: Value = serde_json::from_str(&body).expect("an OTLP JSON body");
            for rs in v["resourceSpans"].as_array().unwrap() {
                assert_eq!(
                    rs["resource"]["attributes"][0]["value"]["stringValue"],
                    "paygate-test"
                );
                for ss in rs["scopeSpans"].as_array().unwrap() {
                    spans.extend(ss["spans"].as_array().unwrap().iter().cloned());
                }
            }
        }
        spans
    }

    /// The spans of `trace`, once they include every name in `names` (waits up to 30 s).
    pub fn trace(&self, trace: &str, names: &[&str]) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let spans: Vec<Value> = self
                .spans()
                .into_iter()
                .filter(|s| s["traceId"] == trace)
                .collect();
            let has = |n: &str| spans.iter().any(|s| s["name"] == n);
            if names.iter().all(|n| has(n)) {
                return spans;
            }
            assert!(
                Instant::now() < until,
                "trace {trace} lacks some of {names:?}: {spans:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// HTTP/1.1 with keep-alive: reads each request (Content-Length bodies) and answers 200 `{}`.
/// A client that gives up (a TLS handshake it refused) ends the connection.
fn serve_connection(conn: impl Read + Write, sink: &Mutex<Vec<String>>) {
    let mut rd = BufReader::new(conn);
    loop {
        let mut request_line = String::new();
        if rd.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut h = String::new();
            rd.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        rd.read_exact(&mut body).unwrap();
        assert!(
            request_line.starts_with("POST /v1/traces "),
            "{request_line}"
        );
        sink.lock().unwrap().push(String::from_utf8(body).unwrap());
        let out = rd.get_mut();
        out.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        )
        .unwrap();
        out.flush().unwrap();
    }
}

/// The `traceparent` a response carried, split.
pub struct Traced {
    pub trace: String,
    pub span: String,
    /// `01` sampled, `00` not.
    pub flags: String,
}

/// Posts the payment `form` (optionally in the caller's trace `traceparent`); it succeeds.
/// The intent and the response's `traceparent`.
pub async fn pay_traced(
    gw: &super::Gateway,
    traceparent: Option<&str>,
    form: String,
) -> (Value, Traced) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents", gw.base))
        .bearer_auth(&gw.key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    if let Some(tp) = traceparent {
        req = req.header("traceparent", tp);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let tp = resp.headers()["traceparent"].to_str().unwrap().to_owned();
    let parts: Vec<&str> = tp.split('-').collect();
    assert_eq!((parts.len(), parts[0]), (4, "00"), "{tp}");
    assert_eq!((parts[1].len(), parts[2].len()), (32, 16), "{tp}");
    let pi: Value = resp.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), &pi["status"]),
        (200, &"succeeded".into()),
        "{pi}"
    );
    let traced = Traced {
        trace: parts[1].to_owned(),
        span: parts[2].to_owned(),
        flags: parts[3].to_owned(),
    };
    (pi, traced)
}

/// The value of the sample `name{labels}` on the gateway's `/metrics` (its `metrics on` URL).
pub async fn metric(metrics_url: &str, name: &str, labels: &str) -> f64 {
    let text = reqwest::get(metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = format!("{name}{labels} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .unwrap_or_else(|| panic!("no {key:?} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}
