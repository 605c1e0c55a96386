//! A local webhook endpoint for the process tests: it answers 200 to every POST and keeps
//! the `Stripe-Signature` header and body of each, checked against a signing secret.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One POST the receiver got: its `Stripe-Signature` header and body.
pub type Delivery = (String, Vec<u8>);

/// A local webhook endpoint: answers 200 to every POST and keeps what it got.
pub fn receiver() -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let (mut sig, mut len) = (String::new(), 0usize);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("stripe-signature:") {
                    sig = line["stripe-signature:".len()..].trim().to_string();
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok() {
                keep.lock().unwrap().push((sig, body));
            }
            let _ = r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// The deliveries' events, each checked against the signing secret.
pub fn verified_events(got: &Mutex<Vec<Delivery>>, secret: &str) -> Vec<Value> {
    got.lock()
        .unwrap()
        .iter()
        .map(|(sig, body)| {
            let t: i64 = sig
                .split(',')
                .find_map(|p| p.strip_prefix("t="))
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no t= in {sig:?}"));
            let expected = paygate_gateway::webhooks::signature_header(secret, t, body);
            assert_eq!(
                sig, &expected,
                "the signature verifies with the printed secret"
            );
            serde_json::from_slice(body).unwrap()
        })
        .collect()
}
