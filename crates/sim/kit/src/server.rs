//! Accept loop and per-connection tasks. A connection task only frames, decodes and encodes
//! (through the simulator's [`Codec`]); the writer thread decides. A broken connection never
//! affects the others; a connection stops being read while [`MAX_IN_FLIGHT_PER_CONNECTION`]
//! answers are owed (backpressure). Shutdown stops accepting, lets every connection flush the
//! answers it owes, then drops the job queue so that the writer stops after its last batch.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::faults::{Fate, Faults};
use crate::frame::{self, FrameReader};
use crate::writer::{Job, Reply};
use crate::{Codec, MAX_CONNECTIONS, MAX_IN_FLIGHT_PER_CONNECTION};

/// Most answer bytes gathered into one socket write.
const WRITE_BATCH_BYTES_MAX: usize = 64 * 1024;
/// Time a closing connection gets to write the answers it still owes, in milliseconds.
const DRAIN_TIMEOUT_MS: u64 = 5_000;

type JobOf<C> = Job<<C as Codec>::Request, <C as Codec>::Answer>;
type ReplyOf<C> = Reply<<C as Codec>::Answer>;

/// Accepts connections until shutdown, then waits for each to flush what it owes.
pub(crate) async fn serve<C: Codec>(
    listener: TcpListener,
    jobs: mpsc::Sender<JobOf<C>>,
    codec: C,
    faults: Arc<Faults>,
    mut shutdown: watch::Receiver<bool>,
) {
    let codec = Arc::new(codec);
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut conns = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&limit).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut shutdown) => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(&mut shutdown) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                tracing::debug!(%peer, "simulator connection accepted");
                let conn = Connection {
                    jobs: jobs.clone(),
                    codec: Arc::clone(&codec),
                    faults: Arc::clone(&faults),
                    shutdown: shutdown.clone(),
                    _slot: permit,
                };
                conns.spawn(conn.run(stream));
            }
            Err(e) => tracing::warn!(error = %e, "accept failed"),
        }
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    drop(jobs);
    while conns.join_next().await.is_some() {}
}

/// Resolves once shutdown is requested (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

struct Connection<C: Codec> {
    jobs: mpsc::Sender<JobOf<C>>,
    codec: Arc<C>,
    faults: Arc<Faults>,
    shutdown: watch::Receiver<bool>,
    /// One of the [`MAX_CONNECTIONS`] slots, freed when the connection ends.
    _slot: OwnedSemaphorePermit,
}

impl<C: Codec> Connection<C> {
    async fn run(mut self, stream: TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        let (rd, wr) = stream.into_split();
        let (reply_tx, reply_rx) = mpsc::channel(MAX_IN_FLIGHT_PER_CONNECTION);
        let writer = tokio::spawn(write_replies(
            wr,
            reply_rx,
            Arc::clone(&self.codec),
            Arc::clone(&self.faults),
        ));
        self.read_requests(rd, reply_tx).await;
        // Every job still in the writer holds a clone of `reply_tx`: the writer task ends after
        // the last owed answer is written — unless the peer stopped reading, hence the bound.
        let drain = std::time::Duration::from_millis(DRAIN_TIMEOUT_MS);
        let abort = writer.abort_handle();
        match tokio::time::timeout(drain, writer).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "connection writer failed"),
            Err(_) => {
                tracing::warn!("peer does not read its answers: connection dropped");
                abort.abort();
            }
        }
    }

    /// Reads requests and queues them for the writer thread; stops reading while
    /// [`MAX_IN_FLIGHT_PER_CONNECTION`] answers are owed.
    async fn read_requests(&mut self, rd: OwnedReadHalf, reply_tx: mpsc::Sender<ReplyOf<C>>) {
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_CONNECTION));
        let mut reader = FrameReader::new(rd);
        loop {
            let permit = tokio::select! {
                p = Arc::clone(&in_flight).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
                _ = stopped(&mut self.shutdown) => return,
            };
            let frame = tokio::select! {
                f = reader.read_frame() => f,
                _ = stopped(&mut self.shutdown) => return,
            };
            let body = match frame {
                Ok(Some(body)) => body,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "closing simulator connection");
                    return;
                }
            };
            let Some(request) = self.codec.decode(&body) else {
                tracing::warn!("frame that cannot be answered: closing the connection");
                return;
            };
            let job = Job {
                request,
                reply: reply_tx.clone(),
                permit,
            };
            if self.jobs.send(job).await.is_err() {
                return;
            }
        }
    }
}

/// Encodes and writes answers, several per write when they pile up; the simulator's
/// [`Faults`] may delay, withhold, garble an answer or close the connection instead.
async fn write_replies<C: Codec>(
    mut wr: OwnedWriteHalf,
    mut replies: mpsc::Receiver<ReplyOf<C>>,
    codec: Arc<C>,
    faults: Arc<Faults>,
) {
    let mut buf = BytesMut::with_capacity(WRITE_BATCH_BYTES_MAX);
    while let Some(first) = replies.recv().await {
        buf.clear();
        let mut next = Some(first);
        while let Some(reply) = next.take() {
            let (fate, late) = faults.answer();
            if !late.is_zero() {
                tokio::time::sleep(late).await;
            }
            match fate {
                Fate::Send => append(reply, &mut buf, &*codec),
                Fate::Silent => drop(reply),
                Fate::Garbage => {
                    drop(reply);
                    let _ = frame::encode_into(crate::faults::GARBAGE_BODY, &mut buf);
                }
                Fate::Drop => {
                    drop(reply);
                    let _ = wr.write_all(&buf).await;
                    let _ = wr.shutdown().await;
                    tracing::debug!("fault: connection dropped instead of an answer");
                    return;
                }
            }
            if buf.len() < WRITE_BATCH_BYTES_MAX {
                next = replies.try_recv().ok();
            }
        }
        if !buf.is_empty() && wr.write_all(&buf).await.is_err() {
            return;
        }
    }
    let _ = wr.shutdown().await;
}

fn append<C: Codec>(reply: ReplyOf<C>, buf: &mut BytesMut, codec: &C) {
    let Reply { answer, permit } = reply;
    // The answer is in the write buffer: the connection may read another request.
    drop(permit);
    let Some(answer) = answer else { return };
    let framed = codec
        .encode(&answer)
        .and_then(|body| frame::encode_into(&body, buf).map_err(|e| e.to_string()));
    if let Err(e) = framed {
        tracing::error!(error = %e, "answer could not be encoded; not sent");
    }
}
