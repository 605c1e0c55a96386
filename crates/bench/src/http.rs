//! The bench's own HTTP/1.1 client: a fixed-size keep-alive pool over `hyper::client::conn::http1`.
//!
//! Why not `hyper_util::client::legacy::Client`: its pool races a fresh connect against waiting
//! for an idle connection, so the number of open sockets drifts above what was asked for. Here a
//! semaphore holds one permit per connection and a connection exists only while a permit holder
//! or the idle list owns it, so `--connections N` means at most N sockets — the number the server
//! sees — and a request costs one mutex push/pop instead of a pool-key lookup.

use crate::failover::{MAX_REQUESTS_PER_CONNECTION, Targets};
use crate::stats::ErrorKind;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Answers larger than this are not what the API sends; reading stops and the request counts
/// as `unexpected_body`.
pub(crate) const MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024;

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
static FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// Status and complete body of one response.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// Where and how to connect.
pub(crate) struct ClientConfig {
    /// One per `--url`; with several, connections spread over the ready ones.
    pub targets: Arc<Targets>,
    /// `Bearer sk_test_...`, marked sensitive.
    pub authorization: HeaderValue,
    pub connections: usize,
    /// Bounds connect, and separately send + reading the whole response.
    pub request_timeout: Duration,
}

/// A keep-alive HTTP/1.1 client with at most `connections` sockets.
pub(crate) struct HttpClient {
    config: ClientConfig,
    /// One permit per connection that may be in use; waiting here is client-side queueing and
    /// shows up in open-loop latency, as it should.
    permits: Semaphore,
    idle: Mutex<Vec<Pooled>>,
    /// Keyed requests sent again after their connection closed without an answer.
    resent_after_reset: AtomicU64,
}

/// A connection, the target it goes to and how many requests it carried.
struct Pooled {
    target: usize,
    requests: u32,
    sender: SendRequest<Full<Bytes>>,
}

impl HttpClient {
    pub fn new(config: ClientConfig) -> Self {
        assert!(
            config.connections > 0,
            "connections must be validated as > 0"
        );
        let permits = Semaphore::new(config.connections);
        let idle = Mutex::new(Vec::with_capacity(config.connections));
        Self {
            config,
            permits,
            idle,
            resent_after_reset: AtomicU64::new(0),
        }
    }

    /// How many keyed requests went again after a reset ([`HttpClient::post_form`]).
    pub fn resent_after_reset(&self) -> u64 {
        self.resent_after_reset.load(Ordering::Relaxed)
    }

    /// `GET path`, with the API key when `authorized`.
    pub async fn get(&self, path: Uri, authorized: bool) -> Result<Answer, ErrorKind> {
        let mut request = Request::new(Full::new(Bytes::new()));
        *request.uri_mut() = path;
        if authorized {
            request
                .headers_mut()
                .insert(AUTHORIZATION, self.config.authorization.clone());
        }
        self.send(request).await
    }

    /// `POST path` with a form body and an `Idempotency-Key`.
    pub async fn post_form(
        &self,
        path: Uri,
        body: Bytes,
        idempotency_key: HeaderValue,
    ) -> Result<Answer, ErrorKind> {
        let build = || {
            let mut request = Request::new(Full::new(body.clone()));
            *request.method_mut() = Method::POST;
            *request.uri_mut() = path.clone();
            let headers = request.headers_mut();
            headers.insert(AUTHORIZATION, self.config.authorization.clone());
            headers.insert(CONTENT_TYPE, FORM.clone());
            headers.insert(IDEMPOTENCY_KEY.clone(), idempotency_key.clone());
            request
        };
        match self.send(build()).await {
            // Behind several targets, as a load balancer retries on a reset: a connection that
            // closed with the request written and no answer (a server stopping without a
            // drain) leaves the outcome unknown, and the Idempotency-Key makes sending it again
            // safe — the server answers the first outcome if there was one.
            Err(ErrorKind::Transport) if self.config.targets.several() => {
                self.resent_after_reset.fetch_add(1, Ordering::Relaxed);
                self.send(build()).await
            }
            other => other,
        }
    }

    async fn send(&self, mut request: Request<Full<Bytes>>) -> Result<Answer, ErrorKind> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the pool semaphore is never closed");
        // A request the connection never wrote (the server closed it while idle, as a
        // stopping server does) cannot have reached the server: it goes once more on another
        // connection, as HTTP clients do.
        for _ in 0..2 {
            let mut pooled = self.checkout().await?;
            let host = self.config.targets.get(pooled.target).host.clone();
            request.headers_mut().insert(HOST, host);
            pooled.requests += 1;
            let exchange = exchange(&mut pooled.sender, request);
            let result = tokio::time::timeout(self.config.request_timeout, exchange)
                .await
                .unwrap_or(Err(Failure::Kind(ErrorKind::Timeout)));
            let result = match result {
                Err(Failure::Unsent(unsent)) => {
                    request = *unsent;
                    continue;
                }
                Err(Failure::Kind(kind)) => {
                    // A connection that closed with the request written and no answer: its
                    // target is stopping, so it takes no more requests (the retry of
                    // `post_form` goes elsewhere) until its `/readyz` answers 200 again.
                    if kind == ErrorKind::Transport {
                        self.config.targets.mark_down(pooled.target);
                    }
                    Err(kind)
                }
                Ok(answer) => Ok(answer),
            };
            // Only a connection whose exchange completed is reusable; after a timeout or an
            // error a late or partial response could still arrive on it. Dropping the sender
            // closes it. With several targets a connection is retired after a while, so load
            // spreads again.
            let targets = &self.config.targets;
            let worn = targets.several() && pooled.requests >= MAX_REQUESTS_PER_CONNECTION;
            if result.is_ok() && !pooled.sender.is_closed() && !worn {
                self.idle.lock().expect("idle pool lock").push(pooled);
            }
            return result;
        }
        Err(ErrorKind::Transport)
    }

    /// An idle connection to a ready target that is ready for a request, or a new one.
    async fn checkout(&self) -> Result<Pooled, ErrorKind> {
        loop {
            let Some(mut pooled) = self.idle.lock().expect("idle pool lock").pop() else {
                break;
            };
            // A target taken out (draining) gets no new requests: close its idle connections.
            if !self.config.targets.is_ready(pooled.target) {
                continue;
            }
            // Ready at once normally; an error means the server closed it while idle (its
            // keep-alive timeout), which is not a failed request: take the next one.
            if pooled.sender.ready().await.is_ok() {
                return Ok(pooled);
            }
        }
        self.connect().await
    }

    /// A new connection to the first target, in [`Targets::connect_order`], that accepts one:
    /// a refused connection goes to the next target, as a load balancer retries it.
    async fn connect(&self) -> Result<Pooled, ErrorKind> {
        let targets = &self.config.targets;
        for target in targets.connect_order() {
            match self.connect_to(target).await {
                Ok(sender) => {
                    return Ok(Pooled {
                        target,
                        requests: 0,
                        sender,
                    });
                }
                Err(kind) => {
                    targets.mark_down(target);
                    if !targets.several() {
                        return Err(kind);
                    }
                }
            }
        }
        Err(ErrorKind::Connect)
    }

    async fn connect_to(&self, target: usize) -> Result<SendRequest<Full<Bytes>>, ErrorKind> {
        let addr = self.config.targets.get(target).addr;
        let stream = tokio::time::timeout(self.config.request_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ErrorKind::Connect)?
            .map_err(|_| ErrorKind::Connect)?;
        // Small request bodies must not wait for Nagle's algorithm.
        stream.set_nodelay(true).map_err(|_| ErrorKind::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| ErrorKind::Connect)?;
        // The connection task only moves bytes; its failures reach the caller through `sender`.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Why an exchange gave no answer.
enum Failure {
    /// The connection closed before the request was written: it is handed back.
    Unsent(Box<Request<Full<Bytes>>>),
    Kind(ErrorKind),
}

/// Sends `request` and reads the whole answer.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<Answer, Failure> {
    let response = match sender.try_send_request(request).await {
        Ok(response) => response,
        Err(mut error) => {
            return Err(match error.take_message() {
                Some(unsent) => Failure::Unsent(Box::new(unsent)),
                None => Failure::Kind(ErrorKind::Transport),
            });
        }
    };
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| {
            Failure::Kind(if e.is::<http_body_util::LengthLimitError>() {
                ErrorKind::UnexpectedBody
            } else {
                ErrorKind::Transport
            })
        })?
        .to_bytes();
    Ok(Answer { status, body })
}
