//! The terminal's messages and one request/answer exchange on the POS listener's framing
//! (2-byte length header, `ascii` profile).

use bytes::BytesMut;
use paygate_iso8583::{Message, Profile};
use paygate_sim_kit::frame::{FrameReader, encode_into};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The terminal's identity (DE 41, and DE 42 when known).
pub struct Identity {
    pub terminal_id: String,
    pub merchant_id: Option<String>,
}

/// DE 7 (MMDDhhmmss), DE 12 (hhmmss) and DE 13 (MMDD), from the UTC clock.
pub fn stamps() -> (String, String, String) {
    let now = time::OffsetDateTime::now_utc();
    let (m, d) = (u8::from(now.month()), now.day());
    let (h, mi, s) = (now.hour(), now.minute(), now.second());
    (
        format!("{m:02}{d:02}{h:02}{mi:02}{s:02}"),
        format!("{h:02}{mi:02}{s:02}"),
        format!("{m:02}{d:02}"),
    )
}

/// The header every request carries.
pub fn request(mti: &str, processing: &str, stan: &str, id: &Identity) -> Message {
    let (at, local_time, local_date) = stamps();
    let mut m = Message::new(mti).expect("valid MTI");
    m.set_str(3, processing)
        .set_str(7, &at)
        .set_str(11, stan)
        .set_str(12, &local_time)
        .set_str(13, &local_date)
        .set_str(41, &id.terminal_id);
    if let Some(mid) = &id.merchant_id {
        m.set_str(42, mid);
    }
    m
}

/// DE 90 naming `orig` (MTI, STAN, DE 7; no acquirer or forwarding institution).
pub fn original_data(orig: &Message) -> String {
    format!(
        "{}{}{}{}",
        orig.mti(),
        orig.get_str(11).unwrap_or("000000"),
        orig.get_str(7).unwrap_or("0000000000"),
        "0".repeat(22)
    )
}

/// Why an exchange has no answer.
#[derive(Debug)]
pub enum ExchangeError {
    /// No answer within the timeout: the terminal must reverse.
    TimedOut,
    Io(String),
}

/// Sends `msg` on a fresh connection and waits up to `timeout` for the answer with its STAN.
pub async fn exchange(
    host: &str,
    msg: &Message,
    timeout: Duration,
) -> Result<Message, ExchangeError> {
    let spec = Profile::Ascii.spec();
    let io = |e: &dyn std::fmt::Display| ExchangeError::Io(e.to_string());
    let wire = paygate_iso8583::encode(msg, spec).map_err(|e| io(&e))?;
    let mut out = BytesMut::new();
    encode_into(&wire, &mut out).map_err(|e| io(&e))?;
    let work = async {
        let stream = TcpStream::connect(host).await.map_err(|e| io(&e))?;
        let (read, mut write) = stream.into_split();
        write.write_all(&out).await.map_err(|e| io(&e))?;
        let mut frames = FrameReader::new(read);
        loop {
            let Some(body) = frames.read_frame().await.map_err(|e| io(&e))? else {
                return Err(ExchangeError::Io("the host closed the connection".into()));
            };
            let resp = paygate_iso8583::decode(&body, spec).map_err(|e| io(&e))?;
            if resp.get(11) == msg.get(11) {
                return Ok(resp);
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ExchangeError::TimedOut)?
}
