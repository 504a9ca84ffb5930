//! The chunked body decoder: bounded size lines with extensions, data, and trailers read and
//! dropped. Pure over bytes; must not do IO.

use bytes::{Buf, Bytes, BytesMut};

use super::{MAX_CHUNK_LINE, MAX_TRAILERS};

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
/// incomplete. A line with its line end takes at most `max` bytes, else `too_long`. A bare
/// LF is refused: parsers that differ on it are how requests and answers get smuggled past a
/// proxy. The answer depends only on the bytes, never on how many have arrived: the first
/// `max` decide.
pub(super) fn line<'a>(
    buf: &'a [u8],
    max: usize,
    too_long: &'static str,
) -> Result<Option<(&'a [u8], usize)>, &'static str> {
    let Some(end) = memchr::memchr(b'\n', &buf[..buf.len().min(max)]) else {
        return if buf.len() >= max {
            Err(too_long)
        } else {
            Ok(None)
        };
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
                    let Some((text, used)) = line(buf, MAX_CHUNK_LINE, "chunk-size line too long")?
                    else {
                        return Ok(Decoded::More);
                    };
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
                    // Exactly CRLF after a chunk's data, judged on its two bytes alone.
                    match buf.get(..2) {
                        None if buf.first().is_none_or(|b| *b == b'\r') => {
                            return Ok(Decoded::More)
                        }
                        Some(b"\r\n") => {}
                        _ => return Err("chunk data longer than its size"),
                    }
                    buf.advance(2);
                    *self = Chunked::Size;
                }
                Chunked::Trailers(seen) => {
                    let max = MAX_TRAILERS.saturating_sub(seen).max(2);
                    let Some((text, used)) = line(buf, max, "trailers too large")? else {
                        return Ok(Decoded::More);
                    };
                    let empty = text.is_empty();
                    buf.advance(used);
                    *self = if empty {
                        Chunked::Done
                    } else {
                        Chunked::Trailers(seen + used)
                    };
                }
                Chunked::Done => return Ok(Decoded::Done),
            }
        }
    }
}
