//! Response heads and framing (RFC 9112): the head parsed off the buffer, how the body is
//! delimited and whether the connection can be reused, and how a request body goes out.
//! Pure functions over bytes; must not do IO.

use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};
use http_body::Body as HttpBody;

use super::chunked::{Chunked, Decoded};
use super::request::RequestBody;
use super::{UpstreamError, MAX_HEADERS};

/// How the request body goes out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BodyFraming {
    Empty,
    Length(u64),
    Chunked,
}

impl BodyFraming {
    /// As the body says of itself: nothing, an exact length, or chunks of unknown total.
    pub fn of(body: &impl HttpBody) -> BodyFraming {
        if body.is_end_stream() {
            BodyFraming::Empty
        } else {
            match body.size_hint().exact() {
                Some(n) => BodyFraming::Length(n),
                None => BodyFraming::Chunked,
            }
        }
    }

    /// Appends the framing header line for a request with `method`; `announced` when the
    /// visitor's request had a `Content-Length` (which is not passed on itself).
    pub fn write_header(self, method: &Method, announced: bool, head: &mut Vec<u8>) {
        match self {
            BodyFraming::Empty => {
                // A method that carries a body says it has none; others say nothing, as
                // browsers do.
                if announced || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
                    head.extend_from_slice(b"content-length: 0\r\n");
                }
            }
            BodyFraming::Length(n) => {
                head.extend_from_slice(format!("content-length: {n}\r\n").as_bytes());
            }
            BodyFraming::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
    }
}

/// A request ready for the upstream: its head written (by `proxy`, with the framing header
/// `framing` gives), its method, and the body still to stream.
pub struct Outbound {
    pub head: Vec<u8>,
    pub method: Method,
    pub body: RequestBody,
    pub framing: BodyFraming,
}

/// A parsed response head.
pub(super) struct Head {
    pub(super) status: StatusCode,
    pub(super) version: Version,
    pub(super) headers: HeaderMap,
}

/// Takes the head at the start of `buf` off it; `None` (and `buf` untouched) while
/// incomplete. Header values share the head's bytes instead of each being copied.
pub(super) fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, UpstreamError> {
    let mut slots = [MaybeUninit::<httparse::Header>::uninit(); MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        buf,
        &mut slots,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(UpstreamError::Invalid("more than 100 headers"))
        }
        Err(_) => return Err(UpstreamError::Invalid("malformed response head")),
    };
    let status = parsed
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(UpstreamError::Invalid("bad status code"))?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    if len > usize::from(u16::MAX) {
        return Err(UpstreamError::Invalid("response head too large"));
    }
    // Where each name and value lies in the head (offsets fit in 16 bits, as the head does),
    // so that the values can be cut from it.
    let base = buf.as_ptr() as usize;
    let at = |part: &[u8]| {
        // httparse's slices lie inside the head; anything else is refused, not trusted.
        let from = (part.as_ptr() as usize).checked_sub(base)?;
        let to = from.checked_add(part.len()).filter(|to| *to <= len)?;
        Some((u16::try_from(from).ok()?, u16::try_from(to - from).ok()?))
    };
    let mut spans = [((0u16, 0u16), (0u16, 0u16)); MAX_HEADERS];
    let count = parsed.headers.len();
    for (span, h) in spans.iter_mut().zip(parsed.headers.iter()) {
        *span = at(h.name.as_bytes())
            .zip(at(h.value))
            .ok_or(UpstreamError::Invalid("header outside the head"))?;
    }
    let head = buf.split_to(len).freeze();
    let mut headers = HeaderMap::with_capacity(count);
    for ((name_at, name_len), (at, len)) in spans.into_iter().take(count) {
        let (name_at, at) = (usize::from(name_at), usize::from(at));
        let name = HeaderName::from_bytes(&head[name_at..name_at + usize::from(name_len)])
            .map_err(|_| UpstreamError::Invalid("bad header name"))?;
        let value = HeaderValue::from_maybe_shared(head.slice(at..at + usize::from(len)))
            .map_err(|_| UpstreamError::Invalid("bad header value"))?;
        headers.append(name, value);
    }
    Ok(Some(Head {
        status,
        version,
        headers,
    }))
}

/// Whether a comma-separated header holds `token` (case-insensitive).
pub(super) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The body's length from `Content-Length` (repeated values must agree), `None` when absent.
pub(super) fn content_length(headers: &HeaderMap) -> Result<Option<u64>, UpstreamError> {
    let mut found = None;
    for part in headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
    {
        let digits = part.trim_ascii();
        let n = (!digits.is_empty() && digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit))
            .then(|| {
                digits
                    .iter()
                    .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
            })
            .ok_or(UpstreamError::Invalid("bad Content-Length"))?;
        if found.is_some_and(|f| f != n) {
            return Err(UpstreamError::Invalid("conflicting Content-Length"));
        }
        found = Some(n);
    }
    Ok(found)
}

/// How a response body is delimited (RFC 9112 §6.3), and whether the connection can serve
/// another request afterwards. Drops a `Content-Length` that `Transfer-Encoding` overrides.
pub(super) fn response_framing(
    head: &mut Head,
    method: &Method,
) -> Result<(Remaining, bool), UpstreamError> {
    let h = &mut head.headers;
    let mut reuse = match head.version {
        Version::HTTP_10 => has_token(h, &header::CONNECTION, "keep-alive"),
        _ => !has_token(h, &header::CONNECTION, "close"),
    };
    let framing = if method == Method::HEAD
        || head.status == StatusCode::NO_CONTENT
        || head.status == StatusCode::NOT_MODIFIED
    {
        Remaining::Length(0)
    } else if h.contains_key(header::TRANSFER_ENCODING) {
        // Both, or chunks from an HTTP/1.0 peer that cannot know them: a sign of a confused
        // or hostile peer; this connection ends here (RFC 9112 §6.1, §6.3).
        if h.remove(header::CONTENT_LENGTH).is_some() || head.version == Version::HTTP_10 {
            reuse = false;
        }
        let last = h
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .rfind(|t| !t.trim_ascii().is_empty())
            .map(<[u8]>::trim_ascii);
        match last {
            Some(t) if t.eq_ignore_ascii_case(b"chunked") => Remaining::Chunked(Chunked::Size),
            _ => Remaining::Close,
        }
    } else {
        match content_length(h)? {
            Some(n) => Remaining::Length(n),
            None => Remaining::Close,
        }
    };
    if framing == Remaining::Close {
        reuse = false;
    }
    Ok((framing, reuse))
}

/// How the rest of a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Remaining {
    /// This many bytes are still to come.
    Length(u64),
    Chunked(Chunked),
    /// Until the upstream closes the connection.
    Close,
}

impl Remaining {
    /// The body has been read to its end (a read-to-close body ends with the connection).
    pub(super) fn done(&self) -> bool {
        matches!(
            self,
            Remaining::Length(0) | Remaining::Chunked(Chunked::Done)
        )
    }

    /// The next piece of the body that `buf` holds, as this framing delimits it; `None` when
    /// more must be read, or the body is done.
    pub(super) fn next_piece(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, &'static str> {
        Ok(match self {
            Remaining::Length(0) => None,
            Remaining::Length(left) => (!buf.is_empty()).then(|| {
                let take = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                *left -= take as u64;
                buf.split_to(take).freeze()
            }),
            Remaining::Chunked(state) => match state.decode(buf)? {
                Decoded::Data(data) => Some(data),
                Decoded::More | Decoded::Done => None,
            },
            Remaining::Close => (!buf.is_empty()).then(|| buf.split().freeze()),
        })
    }
}
