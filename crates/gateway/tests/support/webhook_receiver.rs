//! A merchant's webhook receiver for tests: an HTTP server on port 0 that records what the
//! gateway delivers.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::routing::post;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver got, in arrival order: (`Stripe-Signature`, body).
pub type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A merchant's webhook receiver: records (signature, body); fails the first `fail_first` calls.
pub async fn receiver(fail_first: usize) -> (String, Received) {
    let got: Received = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(Mutex::new(0usize));
    let g = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            let calls = calls.clone();
            async move {
                let mut n = calls.lock().unwrap();
                *n += 1;
                if *n <= fail_first {
                    return AxStatus::INTERNAL_SERVER_ERROR;
                }
                let sig = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                g.lock().unwrap().push((sig, body));
                AxStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// What `got` holds once it has `n` deliveries (or after 10 s).
pub async fn wait_for(got: &Received, n: usize) -> Vec<(String, Bytes)> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().unwrap().clone()
}
