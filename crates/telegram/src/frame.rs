//! The length header: 4 ASCII digits giving the byte length of the telegram that follows
//! (0001–9999), as many Korean bank and VAN links frame their 전문.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes of the length header.
pub const HEADER_LEN: usize = 4;
/// Longest telegram the header can announce.
pub const MAX_BODY_LEN: usize = 9999;

/// A frame that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("length header {0:?} is not 4 digits")]
    BadHeader([u8; HEADER_LEN]),
    #[error("telegram of {0} bytes does not fit the length header")]
    TooLong(usize),
    #[error("empty telegram")]
    Empty,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The header and body of one telegram.
pub fn encode(body: &[u8]) -> Result<Vec<u8>, FrameError> {
    if body.is_empty() {
        return Err(FrameError::Empty);
    }
    if body.len() > MAX_BODY_LEN {
        return Err(FrameError::TooLong(body.len()));
    }
    let mut out = format!("{:04}", body.len()).into_bytes();
    out.extend_from_slice(body);
    Ok(out)
}

/// What a buffer holds: a whole telegram (its body and how many bytes it took), or not yet.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Complete { body: &'a [u8], consumed: usize },
    Incomplete,
}

/// Checks the buffer holds a whole frame before reading it.
pub fn parse(buf: &[u8]) -> Result<Parsed<'_>, FrameError> {
    if buf.len() < HEADER_LEN {
        return Ok(Parsed::Incomplete);
    }
    let len = body_len(buf[..HEADER_LEN].try_into().unwrap_or([0; HEADER_LEN]))?;
    if buf.len() < HEADER_LEN + len {
        return Ok(Parsed::Incomplete);
    }
    Ok(Parsed::Complete {
        body: &buf[HEADER_LEN..HEADER_LEN + len],
        consumed: HEADER_LEN + len,
    })
}

fn body_len(header: [u8; HEADER_LEN]) -> Result<usize, FrameError> {
    if !header.iter().all(u8::is_ascii_digit) {
        return Err(FrameError::BadHeader(header));
    }
    let len = header
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    if len == 0 {
        return Err(FrameError::Empty);
    }
    Ok(len)
}

/// Reads one telegram; `None` at a clean end of stream between telegrams.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    match r.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = body_len(header)?;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_complete_only_with_its_whole_body() {
        let f = encode(b"hello").unwrap();
        assert_eq!(&f[..4], b"0005");
        assert_eq!(parse(&f[..6]).unwrap(), Parsed::Incomplete);
        assert_eq!(
            parse(&f).unwrap(),
            Parsed::Complete {
                body: b"hello",
                consumed: 9
            }
        );
    }

    #[test]
    fn bad_headers_and_sizes_are_refused() {
        assert!(matches!(parse(b"00a1x"), Err(FrameError::BadHeader(_))));
        assert!(matches!(parse(b"0000"), Err(FrameError::Empty)));
        assert!(matches!(
            encode(&vec![b'x'; 10_000]),
            Err(FrameError::TooLong(10_000))
        ));
    }

    #[tokio::test]
    async fn read_returns_telegrams_then_none_at_the_end() {
        let mut bytes = encode(b"ab").unwrap();
        bytes.extend(encode(b"cde").unwrap());
        let mut r = &bytes[..];
        assert_eq!(read(&mut r).await.unwrap(), Some(b"ab".to_vec()));
        assert_eq!(read(&mut r).await.unwrap(), Some(b"cde".to_vec()));
        assert_eq!(read(&mut r).await.unwrap(), None);
    }
}
