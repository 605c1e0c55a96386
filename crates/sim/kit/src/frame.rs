//! The simulators' own framing: each message behind a 2-byte big-endian length that counts the
//! message bytes only. Written apart from the gateway's `paygate_network::frame` on purpose: a
//! simulator shares the wire with the gateway, never its code, so a framing bug on one side
//! fails against the other instead of passing every test.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Width of the length header in bytes.
pub const HEADER_BYTES: usize = 2;
/// Largest message body read or written, in bytes (bounds what one connection can pin).
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Initial capacity of a reader's buffer, in bytes.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Why no frame could be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A zero length: no message is empty.
    #[error("frame length 0: a message cannot be empty")]
    Empty,
    /// A length over [`MAX_BODY_BYTES`].
    #[error("frame length {len_bytes} exceeds max {MAX_BODY_BYTES} bytes")]
    TooLarge {
        /// The length announced or asked for.
        len_bytes: usize,
    },
    /// The peer closed the connection in the middle of a frame.
    #[error("connection closed mid-frame with {buffered_bytes} bytes buffered")]
    Truncated {
        /// Bytes of the unfinished frame that had arrived.
        buffered_bytes: usize,
    },
    /// The socket failed.
    #[error("i/o error while reading a frame: {0}")]
    Io(#[from] std::io::Error),
}

/// Appends `body` with its length header to `out`.
pub fn encode_into(body: &[u8], out: &mut BytesMut) -> Result<(), FrameError> {
    if body.is_empty() {
        return Err(FrameError::Empty);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(FrameError::TooLarge {
            len_bytes: body.len(),
        });
    }
    let len = u16::try_from(body.len()).map_err(|_| FrameError::TooLarge {
        len_bytes: body.len(),
    })?;
    out.reserve(HEADER_BYTES + body.len());
    out.put_u16(len);
    out.put_slice(body);
    Ok(())
}

/// The body of the first whole frame in `buf`, removed from it; `None` while incomplete.
fn take(buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
    if buf.len() < HEADER_BYTES {
        return Ok(None);
    }
    let len_bytes = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
    match len_bytes {
        0 => return Err(FrameError::Empty),
        n if n > MAX_BODY_BYTES => return Err(FrameError::TooLarge { len_bytes: n }),
        _ => {}
    }
    if buf.len() < HEADER_BYTES + len_bytes {
        return Ok(None);
    }
    buf.advance(HEADER_BYTES);
    Ok(Some(buf.split_to(len_bytes).freeze()))
}

/// Reads frames from a byte stream, buffering partial input.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Wraps a stream (typically the read half of a TCP connection).
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            buf: BytesMut::with_capacity(READ_BUFFER_BYTES),
        }
    }

    /// The next frame body; `Ok(None)` when the peer closed between frames. Cancel-safe.
    pub async fn read_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            if let Some(body) = take(&mut self.buf)? {
                return Ok(Some(body));
            }
            if self.inner.read_buf(&mut self.buf).await? == 0 {
                return match self.buf.len() {
                    0 => Ok(None),
                    buffered_bytes => Err(FrameError::Truncated { buffered_bytes }),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_body_length_big_endian_without_itself() {
        let mut out = BytesMut::new();
        encode_into(&[b'x'; 300], &mut out).unwrap();
        assert_eq!(&out[..2], &[0x01, 0x2C]);
        assert_eq!(out.len(), 302);
        assert!(encode_into(b"", &mut out).is_err());
        assert!(encode_into(&vec![b'x'; MAX_BODY_BYTES + 1], &mut out).is_err());
    }

    #[tokio::test]
    async fn hand_built_frames_are_read_one_by_one_then_a_clean_close() {
        let wire: &[u8] = b"\x00\x03one\x00\x05three";
        let mut r = FrameReader::new(wire);
        assert_eq!(&r.read_frame().await.unwrap().unwrap()[..], b"one");
        assert_eq!(&r.read_frame().await.unwrap().unwrap()[..], b"three");
        assert!(r.read_frame().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_cut_frame_an_empty_one_and_an_oversize_one_are_errors() {
        let mut r = FrameReader::new(&b"\x00\x09short"[..]);
        assert!(matches!(
            r.read_frame().await,
            Err(FrameError::Truncated { buffered_bytes: 7 })
        ));
        let mut r = FrameReader::new(&b"\x00\x00"[..]);
        assert!(matches!(r.read_frame().await, Err(FrameError::Empty)));
        let mut r = FrameReader::new(&b"\xff\xff"[..]);
        assert!(matches!(
            r.read_frame().await,
            Err(FrameError::TooLarge { len_bytes: 65_535 })
        ));
    }
}
