//! Link-level framing: every ISO 8583 message travels behind a 2-byte big-endian length header
//! that counts the message bytes (not the header itself).
//!
//! Like mini-redis' `Frame::check`, [`check`] first decides whether a buffer holds a complete
//! frame, with a distinct [`FrameError::Incomplete`] outcome, before anything is consumed; the
//! length is checked against [`MAX_FRAME_BYTES`] as soon as the header is readable, so a peer
//! cannot make us buffer more than one maximal frame.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Width of the length header in bytes (unsigned 16-bit, big-endian).
pub const LENGTH_HEADER_BYTES: usize = 2;

/// Largest message body accepted or sent, in bytes. Authorization messages of this gateway are
/// well under 2 KiB even with DE 48, DE 55 and DE 90 at their maximum; 8 KiB leaves room while
/// bounding the memory one connection can pin.
pub const MAX_FRAME_BYTES: usize = 8 * 1024;

/// Initial capacity of a reader's buffer, in bytes: several typical messages.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Why a frame could not be taken from a buffer or a stream.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The buffer does not hold a whole frame yet: read more bytes and try again.
    #[error("incomplete frame: more bytes needed")]
    Incomplete,
    /// The header announces a zero-length message, which no request or response can be.
    #[error("frame length 0: a message cannot be empty")]
    Empty,
    /// The header announces more than [`MAX_FRAME_BYTES`].
    #[error("frame length {len_bytes} exceeds max {max_bytes} bytes")]
    TooLarge {
        /// Announced length in bytes.
        len_bytes: usize,
        /// The limit, [`MAX_FRAME_BYTES`].
        max_bytes: usize,
    },
    /// The peer closed the connection in the middle of a frame.
    #[error("connection closed mid-frame with {buffered_bytes} bytes buffered")]
    Truncated {
        /// Bytes of the unfinished frame (header included) that had arrived.
        buffered_bytes: usize,
    },
    /// The underlying socket failed.
    #[error("i/o error while reading a frame: {0}")]
    Io(#[from] std::io::Error),
}

/// Checks whether `buf` starts with a complete frame and returns its total length (header
/// included). Consumes nothing.
pub fn check(buf: &[u8]) -> Result<usize, FrameError> {
    let Some(header) = buf.get(..LENGTH_HEADER_BYTES) else {
        return Err(FrameError::Incomplete);
    };
    let len_bytes = usize::from(u16::from_be_bytes([header[0], header[1]]));
    if len_bytes == 0 {
        return Err(FrameError::Empty);
    }
    if len_bytes > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge {
            len_bytes,
            max_bytes: MAX_FRAME_BYTES,
        });
    }
    let total = LENGTH_HEADER_BYTES + len_bytes;
    if buf.len() < total {
        return Err(FrameError::Incomplete);
    }
    Ok(total)
}

/// Takes one complete frame's body from the front of `buf`; `Ok(None)` when more bytes are
/// needed. Errors other than `Incomplete` mean the stream cannot be resynchronised.
pub fn parse(buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
    match check(buf) {
        Ok(total) => {
            let mut frame = buf.split_to(total);
            frame.advance(LENGTH_HEADER_BYTES);
            Ok(Some(frame.freeze()))
        }
        Err(FrameError::Incomplete) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Appends `body` with its length header to `out`.
pub fn encode_into(body: &[u8], out: &mut BytesMut) -> Result<(), FrameError> {
    if body.is_empty() {
        return Err(FrameError::Empty);
    }
    let len = u16::try_from(body.len())
        .ok()
        .filter(|_| body.len() <= MAX_FRAME_BYTES)
        .ok_or(FrameError::TooLarge {
            len_bytes: body.len(),
            max_bytes: MAX_FRAME_BYTES,
        })?;
    out.reserve(LENGTH_HEADER_BYTES + body.len());
    out.put_u16(len);
    out.put_slice(body);
    Ok(())
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

    /// The next frame body; `Ok(None)` when the peer closed the connection between frames.
    /// Cancel-safe: bytes already read stay buffered for the next call.
    pub async fn read_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            if let Some(frame) = parse(&mut self.buf)? {
                return Ok(Some(frame));
            }
            if self.inner.read_buf(&mut self.buf).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(FrameError::Truncated {
                        buffered_bytes: self.buf.len(),
                    })
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        encode_into(body, &mut out).unwrap();
        out
    }

    #[test]
    fn a_frame_is_its_big_endian_length_then_the_body() {
        assert_eq!(&framed(b"0800abc")[..], b"\x00\x070800abc");
    }

    #[test]
    fn check_reports_incomplete_until_the_whole_frame_is_there() {
        let full = framed(b"hello");
        for cut in 0..full.len() {
            assert!(
                matches!(check(&full[..cut]), Err(FrameError::Incomplete)),
                "{cut}"
            );
        }
        assert_eq!(check(&full).unwrap(), full.len());
    }

    #[test]
    fn parse_takes_frames_one_by_one_and_keeps_the_rest() {
        let mut buf = framed(b"one");
        buf.extend_from_slice(&framed(b"two"));
        buf.extend_from_slice(b"\x00\x05tw");
        assert_eq!(&parse(&mut buf).unwrap().unwrap()[..], b"one");
        assert_eq!(&parse(&mut buf).unwrap().unwrap()[..], b"two");
        assert!(parse(&mut buf).unwrap().is_none());
        assert_eq!(&buf[..], b"\x00\x05tw", "partial frame stays buffered");
    }

    #[test]
    fn oversize_and_empty_lengths_are_refused_from_the_header_alone() {
        let too_big = u16::try_from(MAX_FRAME_BYTES + 1).unwrap().to_be_bytes();
        assert!(matches!(
            check(&too_big),
            Err(FrameError::TooLarge { len_bytes, max_bytes: MAX_FRAME_BYTES })
                if len_bytes == MAX_FRAME_BYTES + 1
        ));
        assert!(matches!(check(b"\x00\x00"), Err(FrameError::Empty)));
        let mut out = BytesMut::new();
        assert!(encode_into(&vec![b'0'; MAX_FRAME_BYTES + 1], &mut out).is_err());
        assert!(encode_into(b"", &mut out).is_err());
        assert!(out.is_empty());
    }

    #[tokio::test]
    async fn reader_distinguishes_clean_close_from_truncation() {
        let mut bytes = framed(b"abc").to_vec();
        let mut reader = FrameReader::new(&bytes[..]);
        assert_eq!(&reader.read_frame().await.unwrap().unwrap()[..], b"abc");
        assert!(reader.read_frame().await.unwrap().is_none());

        bytes.extend_from_slice(b"\x00\x64only ten b");
        let mut reader = FrameReader::new(&bytes[..]);
        reader.read_frame().await.unwrap();
        assert!(matches!(
            reader.read_frame().await,
            Err(FrameError::Truncated { buffered_bytes: 12 })
        ));
    }
}
