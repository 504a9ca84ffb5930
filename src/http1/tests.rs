use http::header;

use super::chunked::{Chunked, Decoded};
use super::head::Head;
use super::*;

fn parse(text: &[u8]) -> Result<Option<Head>, UpstreamError> {
    parse_head(&mut BytesMut::from(text))
}

fn head(text: &str) -> Head {
    parse(text.as_bytes()).unwrap().unwrap()
}

fn framing(text: &str, method: Method) -> Result<(Remaining, bool), UpstreamError> {
    response_framing(&mut head(text), &method)
}

#[test]
fn response_bodies_are_delimited_as_rfc_9112_says() {
    let ok = |extra: &str| framing(&format!("HTTP/1.1 200 OK\r\n{extra}\r\n"), Method::GET);
    assert_eq!(
        ok("content-length: 5\r\n").unwrap(),
        (Remaining::Length(5), true)
    );
    assert_eq!(
        ok("content-length: 5, 5\r\ncontent-length: 5\r\n").unwrap(),
        (Remaining::Length(5), true)
    );
    assert!(ok("content-length: 5\r\ncontent-length: 6\r\n").is_err());
    assert!(ok("content-length: -5\r\n").is_err());
    assert!(ok("content-length: 5x\r\n").is_err());
    assert!(ok("content-length: 99999999999999999999\r\n").is_err());
    assert_eq!(
        ok("transfer-encoding: gzip, chunked\r\n").unwrap(),
        (Remaining::Chunked(Chunked::Size), true)
    );
    // Both: chunked wins, the connection is not reused, the length is not passed on.
    let mut both =
        head("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n");
    assert_eq!(
        response_framing(&mut both, &Method::GET).unwrap(),
        (Remaining::Chunked(Chunked::Size), false)
    );
    assert!(!both.headers.contains_key(header::CONTENT_LENGTH));
    assert_eq!(
        ok("transfer-encoding: gzip\r\n").unwrap(),
        (Remaining::Close, false)
    );
    assert_eq!(ok("").unwrap(), (Remaining::Close, false));
    assert_eq!(
        ok("content-length: 5\r\nconnection: Close\r\n").unwrap(),
        (Remaining::Length(5), false)
    );
    let old = framing("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n", Method::GET);
    assert_eq!(old.unwrap(), (Remaining::Length(1), false));
    let old = framing(
        "HTTP/1.0 200 OK\r\ncontent-length: 1\r\nconnection: keep-alive\r\n\r\n",
        Method::GET,
    );
    assert_eq!(old.unwrap(), (Remaining::Length(1), true));
    let old = framing(
        "HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n",
        Method::GET,
    );
    assert_eq!(old.unwrap(), (Remaining::Chunked(Chunked::Size), false));
    // No body whatever the headers say.
    let head_req = framing("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", Method::HEAD);
    assert_eq!(head_req.unwrap(), (Remaining::Length(0), true));
    let none = framing("HTTP/1.1 304 Not Modified\r\n\r\n", Method::GET);
    assert_eq!(none.unwrap(), (Remaining::Length(0), true));
}

#[test]
fn hostile_heads_are_refused() {
    assert!(parse(b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n").is_err());
    assert!(parse(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
    assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    let many: String = (0..101).map(|i| format!("x-{i}: 1\r\n")).collect();
    assert!(parse(format!("HTTP/1.1 200 OK\r\n{many}\r\n").as_bytes()).is_err());
    assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n")
        .unwrap()
        .is_none());
}

fn decode_all(wire: &[u8], split: &[usize]) -> Result<(Vec<u8>, usize), &'static str> {
    let mut state = Chunked::Size;
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut fed = 0;
    let mut cuts: Vec<usize> = split.iter().map(|c| c % (wire.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(wire.len());
    for cut in cuts {
        if cut > fed {
            buf.extend_from_slice(&wire[fed..cut]);
            fed = cut;
        }
        loop {
            match state.decode(&mut buf)? {
                Decoded::Data(d) => out.extend_from_slice(&d),
                Decoded::More => break,
                Decoded::Done => return Ok((out, buf.len() + wire.len() - fed)),
            }
        }
    }
    Err("incomplete")
}

#[test]
fn chunked_bodies_decode_with_extensions_and_trailers() {
    let wire = b"5;name=x\r\nhello\r\n1\r\n \r\nC\r\n world again\r\n0\r\nx-sum: 1\r\n\r\nNEXT";
    let (body, rest) = decode_all(wire, &[]).unwrap();
    assert_eq!(body, b"hello  world again");
    assert_eq!(rest, 4);
    assert!(decode_all(b"5\r\nhello!\r\n0\r\n\r\n", &[]).is_err());
    assert!(decode_all(b"zz\r\n", &[]).is_err());
    assert!(decode_all(b"\r\n", &[]).is_err());
    assert!(decode_all(b"10000000000000000\r\n", &[]).is_err());
    let long = format!("1;{}\r\n", "x".repeat(5000));
    assert!(decode_all(long.as_bytes(), &[]).is_err());
}

#[test]
fn chunk_lines_end_in_crlf_never_a_bare_lf() {
    assert!(decode_all(b"5\r\nhello\r\n0\r\n\r\n", &[]).is_ok());
    // After a chunk's data the two bytes must be CRLF.
    assert_eq!(
        decode_all(b"5\r\nhello\n0\r\n\r\n", &[]),
        Err("chunk data longer than its size")
    );
    for bare in [
        &b"5\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhello\r\n0\n\r\n",
        b"5\r\nhello\r\n0\r\nx: 1\n\r\n",
    ] {
        assert_eq!(
            decode_all(bare, &[]),
            Err("a chunk line ends in a bare LF"),
            "{}",
            String::from_utf8_lossy(bare)
        );
    }
}

#[test]
fn whole_answers_decode_the_same_read_at_once_or_byte_by_byte() {
    let wire =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                 5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\n";
    let whole = decode_response(wire, &Method::GET, wire.len())
        .unwrap()
        .unwrap();
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body, b"hello");
    assert!(whole.complete && whole.reuse);
    assert_eq!(
        decode_response(wire, &Method::GET, 1).unwrap().unwrap(),
        whole
    );
    let short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
    let cut = decode_response(short, &Method::GET, 3).unwrap().unwrap();
    assert_eq!((cut.body.as_slice(), cut.complete), (&b"hello"[..], false));
    assert!(decode_response(b"HTTP/1.1 200", &Method::GET, 4)
        .unwrap()
        .is_none());
    assert!(decode_response(b"HTTP/1.1 101 Switching\r\n\r\n", &Method::GET, 9).is_err());
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any chunks, split anywhere on the wire: the decoder gives back exactly the data
        /// and stops at the body's end.
        #[test]
        fn chunked_round_trip(
            chunks in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 1..300), 0..8),
            cuts in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let mut wire = Vec::new();
            for c in &chunks {
                wire.extend_from_slice(format!("{:X}\r\n", c.len()).as_bytes());
                wire.extend_from_slice(c);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
            let (body, rest) = decode_all(&wire, &cuts).unwrap();
            prop_assert_eq!(body, chunks.concat());
            prop_assert_eq!(rest, 0);
        }

        /// An answer's bytes read a few at a time or all at once: the same answer or the
        /// same error (the fuzz target's property, here on answers built to get far).
        #[test]
        fn reading_in_pieces_changes_nothing(
            body in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'0'), Just(b'5'), Just(b';'), Just(b'a')],
                0..80),
            piece in 1usize..9,
        ) {
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            wire.extend_from_slice(&body);
            let whole = decode_response(&wire, &Method::GET, wire.len());
            let pieces = decode_response(&wire, &Method::GET, piece);
            match (whole, pieces) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "{:?} against {:?}", a, b),
            }
        }

        /// Any bytes as a chunked body or a response head: an answer or an error, never a
        /// panic.
        #[test]
        fn garbage_never_panics(wire in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_all(&wire, &[]);
            let _ = parse(&wire);
        }
    }
}
