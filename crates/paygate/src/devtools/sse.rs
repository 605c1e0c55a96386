//! Reading a server-sent event stream (the WHATWG `text/event-stream` framing) from a
//! `reqwest` response. Written here rather than taken from a crate: the SSE client crates
//! want reqwest's `stream` feature and a futures stack for what is a few lines of framing
//! (`field: value` lines, a blank line ends a message, `:` lines are comments).

/// One message of the stream.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// `id:`, when the message has one.
    pub id: Option<String>,
    /// `event:` (`message` when absent, as the standard says).
    pub event: String,
    /// The `data:` lines, joined by newlines.
    pub data: String,
}

/// Messages of a stream, one at a time.
pub struct Reader {
    resp: reqwest::Response,
    buf: Vec<u8>,
    /// The last `id:` the stream sent, also on a block without data (the standard's "last
    /// event ID", what a reconnect sends as `Last-Event-ID`).
    pub last_id: Option<String>,
}

impl Reader {
    pub fn new(resp: reqwest::Response) -> Reader {
        Reader {
            resp,
            buf: Vec::new(),
            last_id: None,
        }
    }

    /// The next message with data; `Ok(None)` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<Message>, String> {
        loop {
            while let Some(block) = take_block(&mut self.buf) {
                let m = parse_block(&block);
                if m.id.is_some() {
                    self.last_id.clone_from(&m.id);
                }
                if !m.data.is_empty() || m.event != "message" {
                    return Ok(Some(m));
                }
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.buf.extend_from_slice(&bytes),
                Ok(None) => return Ok(None),
                Err(e) => return Err(format!("the stream broke: {e}")),
            }
        }
    }
}

/// Removes and returns the text before the first blank line (`\n\n`, `\r` ignored).
fn take_block(buf: &mut Vec<u8>) -> Option<String> {
    buf.retain(|b| *b != b'\r');
    let end = buf.windows(2).position(|w| w == b"\n\n")?;
    let block: Vec<u8> = buf.drain(..end + 2).collect();
    Some(String::from_utf8_lossy(&block[..end]).into_owned())
}

/// The message of one block (empty, with `event` `message`, for a block of comments, `retry:`
/// or only an `id:`).
fn parse_block(block: &str) -> Message {
    let mut m = Message::default();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => m.id = Some(value.to_string()),
            "event" => m.event = value.to_string(),
            "data" => data.push(value),
            _ => {}
        }
    }
    if m.event.is_empty() {
        m.event = "message".into();
    }
    m.data = data.join("\n");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_on_blank_lines_and_comments_carry_nothing() {
        let mut buf = b": paygate events\nretry: 1000\n\nid: evt_1\nevent: charge.succeeded\ndata: {\"a\":1}\n\nid: evt_2\r\nda"
            .to_vec();
        let first = take_block(&mut buf).unwrap();
        assert_eq!(parse_block(&first), parse_block(""));
        let second = take_block(&mut buf).unwrap();
        assert_eq!(
            parse_block(&second),
            Message {
                id: Some("evt_1".into()),
                event: "charge.succeeded".into(),
                data: "{\"a\":1}".into(),
            }
        );
        assert_eq!(take_block(&mut buf), None, "an unfinished block waits");
        assert_eq!(buf, b"id: evt_2\nda");
    }

    #[test]
    fn data_lines_join_and_a_missing_event_is_message() {
        let m = parse_block("data: one\ndata:two");
        assert_eq!(m.event, "message");
        assert_eq!(m.data, "one\ntwo");
        assert_eq!(m.id, None);
        assert_eq!(
            parse_block("id: evt_9\n: opened").id.as_deref(),
            Some("evt_9")
        );
    }
}
