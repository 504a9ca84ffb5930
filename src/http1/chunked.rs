//! The chunked body decoder: bounded size lines with extensions, data, and trailers read and
//! dropped. Pure over bytes; must not do IO.

use super::*;

/// Where a chunked body's decoder stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Chunked {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk with this many bytes left.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one; bytes of them seen so far.
    Trailers(usize),
    Done,
}

/// What the chunked decoder made of the buffer.
#[derive(Debug, PartialEq)]
pub(super) enum Decoded {
    Data(Bytes),
    /// More bytes are needed.
    More,
    Done,
}

/// The line at the start of `buf` without its CRLF, and the bytes it took; `None` while
/// incomplete. A bare LF is refused: parsers that differ on it are how requests and answers
/// get smuggled past a proxy.
pub(super) fn line(buf: &[u8]) -> Result<Option<(&[u8], usize)>, &'static str> {
    let Some(end) = memchr::memchr(b'\n', buf) else {
        return Ok(None);
    };
    match buf[..end].strip_suffix(b"\r") {
        Some(text) => Ok(Some((text, end + 1))),
        None => Err("a chunk line ends in a bare LF"),
    }
}

impl Chunked {
    /// Takes what it can from `buf`: a piece of data, the end, or the need for more.
    pub(super) fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, &'static str> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some((text, used)) = line(buf)? else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err("chunk-size line too long");
                        }
                        return Ok(Decoded::More);
                    };
                    if used > MAX_CHUNK_LINE {
                        return Err("chunk-size line too long");
                    }
                    let size = text.split(|b| *b == b';').next().unwrap_or_default();
                    let size = size.trim_ascii_end();
                    if size.is_empty() || size.len() > 15 {
                        return Err("bad chunk size");
                    }
                    let mut n: u64 = 0;
                    for d in size {
                        let v = (*d as char).to_digit(16).ok_or("bad chunk size")?;
                        n = n * 16 + u64::from(v);
                    }
                    buf.advance(used);
                    *self = if n == 0 {
                        Chunked::Trailers(0)
                    } else {
                        Chunked::Data(n)
                    };
                }
                Chunked::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::More);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left)
                    };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                Chunked::DataEnd => {
                    let Some((text, used)) = line(buf)? else {
                        if buf.len() >= 2 {
                            return Err("chunk data longer than its size");
                        }
                        return Ok(Decoded::More);
                    };
                    if !text.is_empty() {
                        return Err("chunk data longer than its size");
                    }
                    buf.advance(used);
                    *self = Chunked::Size;
                }
                Chunked::Trailers(seen) => {
                    let Some((text, used)) = line(buf)? else {
                        if seen + buf.len() > MAX_TRAILERS {
                            return Err("trailers too large");
                        }
                        return Ok(Decoded::More);
                    };
                    let empty = text.is_empty();
                    buf.advance(used);
                    *self = if empty {
                        Chunked::Done
                    } else if seen + used > MAX_TRAILERS {
                        return Err("trailers too large");
                    } else {
                        Chunked::Trailers(seen + used)
                    };
                }
                Chunked::Done => return Ok(Decoded::Done),
            }
        }
    }
}
