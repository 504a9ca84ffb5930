//! The upstream client's codec (`http1::decode_response`: response head, framing, chunked
//! decoder) on arbitrary bytes from an upstream.
//!
//! The first input byte picks the request method (GET or HEAD) and how many bytes each read
//! brings (1 to 128); the rest is what the upstream sent.
//!
//! Checks:
//! - It never panics, and the body is never longer than what the upstream sent.
//! - Read a piece at a time or all at once, the answer is the same (the codec keeps no state
//!   that depends on where reads happen to end).
//! - A complete answer with a `Content-Length` carries exactly that many body bytes; a HEAD,
//!   204 or 304 answer carries none; an answer whose length was unclear is never reused.
//! - No chunk line ends in a bare LF in an answer that decoded complete and chunked.
#![no_main]

use http::{header, Method, StatusCode};
use libfuzzer_sys::fuzz_target;
use wartesaal::http1::decode_response;

fuzz_target!(|data: &[u8]| {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let method = if first & 1 == 0 { Method::GET } else { Method::HEAD };
    let piece = usize::from(first >> 1) + 1;
    let whole = decode_response(bytes, &method, bytes.len().max(1));
    let pieces = decode_response(bytes, &method, piece);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "read in pieces of {piece}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("whole {whole:?} against pieces of {piece} {pieces:?}"),
    }
    let Ok(Some(answer)) = whole else {
        return;
    };
    assert!(answer.body.len() <= bytes.len());
    let empty = method == Method::HEAD
        || answer.status == StatusCode::NO_CONTENT
        || answer.status == StatusCode::NOT_MODIFIED;
    if empty {
        assert!(answer.body.is_empty());
    }
    let length = answer
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if answer.complete && !empty && !answer.headers.contains_key(header::TRANSFER_ENCODING) {
        if let Some(n) = length {
            assert_eq!(answer.body.len() as u64, n);
        }
    }
    if !empty && length.is_none() && !answer.headers.contains_key(header::TRANSFER_ENCODING) {
        assert!(!answer.reuse, "read to close, so never reused");
    }
});
