//! One upstream connection: connecting (TCP or TLS within `CONNECT_TIMEOUT`), whether a kept
//! one is still open, writing a request while listening for an early answer, and reading.
//! Must not parse: `head` and `chunked` do.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use http::StatusCode;
use http_body::Body as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::either::Either;

use super::head::{parse_head, BodyFraming, Head};
use super::request::RequestBody;
use super::{UpstreamError, MAX_HEAD_BYTES, READ_SIZE};

/// One upstream connection and what has been read from it but not yet used.
pub(super) struct Conn {
    pub(super) io: Stream,
    pub(super) buf: BytesMut,
}

/// Plain TCP or TLS over it.
pub(super) type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

impl Conn {
    /// An idle connection is open when reading would wait: not closed by the upstream and
    /// holding no bytes nobody asked for.
    pub(super) fn is_open(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut scratch = [0u8; 64];
        if let Either::Left(tcp) = &self.io {
            // Outside the task's cooperative budget, which could make a poll say "wait".
            return matches!(tcp.try_read(&mut scratch), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        }
        let mut read = ReadBuf::new(&mut scratch);
        let mut cx = Context::from_waker(Waker::noop());
        matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut read),
            Poll::Pending
        )
    }

    /// Reads more from the upstream into `buf`; 0 at the connection's end.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.buf.reserve(READ_SIZE);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    pub(super) async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Writes the request and reads the answer's head; whether the request went out whole.
    /// An upstream that answers before it has read the whole body (a refusal, say) is heard
    /// out: its answer is the one that counts, and the connection is not used again.
    pub(super) async fn exchange(
        &mut self,
        head: &[u8],
        body: &mut RequestBody,
        framing: BodyFraming,
    ) -> Result<(Head, bool), UpstreamError> {
        match self.write_request(head, body, framing).await {
            Ok(None) => Ok((self.read_head().await?, true)),
            Ok(Some(early)) => Ok((early, false)),
            Err(sending @ UpstreamError::Send(_)) => match self.read_head().await {
                Ok(head) => Ok((head, false)),
                Err(UpstreamError::Closed) if framing == BodyFraming::Empty => {
                    Err(UpstreamError::Closed)
                }
                Err(_) => Err(sending),
            },
            Err(e) => Err(e),
        }
    }

    /// Writes the request: its head, then its body in the framing the head announced. With a
    /// body it listens while it writes: an upstream may refuse an upload (401, 413) before
    /// reading it, and one that answers while still reading must not be left with both sides'
    /// buffers full. Such an early answer's head is returned, and the rest of the body is not
    /// sent.
    pub(super) async fn write_request(
        &mut self,
        head: &[u8],
        body: &mut RequestBody,
        framing: BodyFraming,
    ) -> Result<Option<Head>, UpstreamError> {
        if let BodyFraming::Empty = framing {
            let send = UpstreamError::Send;
            self.io.write_all(head).await.map_err(send)?;
            self.io.flush().await.map_err(send)?;
            return Ok(None);
        }
        let mut sending = Sending {
            body,
            framing,
            pending: Bytes::copy_from_slice(head),
            sent: 0,
            body_done: false,
            listening: true,
        };
        std::future::poll_fn(|cx| self.poll_send(cx, &mut sending)).await
    }

    pub(super) fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Sending<'_>,
    ) -> Poll<Result<Option<Head>, UpstreamError>> {
        loop {
            if out.listening {
                match self.poll_fill(cx) {
                    Poll::Ready(Ok(0)) => out.listening = false,
                    Poll::Ready(Ok(_)) => {
                        if let Some(head) = self.take_head()? {
                            return Poll::Ready(Ok(Some(head)));
                        }
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(UpstreamError::Receive(e))),
                    Poll::Pending => {}
                }
            }
            if !out.pending.is_empty() {
                match Pin::new(&mut self.io).poll_write(cx, &out.pending) {
                    Poll::Ready(Ok(0)) => {
                        let e = io::Error::from(io::ErrorKind::WriteZero);
                        return Poll::Ready(Err(UpstreamError::Send(e)));
                    }
                    Poll::Ready(Ok(n)) => {
                        out.pending.advance(n);
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(UpstreamError::Send(e))),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if out.body_done {
                return match Pin::new(&mut self.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(None)),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(UpstreamError::Send(e))),
                    Poll::Pending => Poll::Pending,
                };
            }
            match Pin::new(&mut *out.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are not passed on.
                    if let Ok(data) = frame.into_data() {
                        out.take(data)?;
                    }
                }
                Poll::Ready(None) => out.finish()?,
            }
        }
    }

    /// The final answer's head if the buffer holds it, interim (1xx) answers skipped.
    pub(super) fn take_head(&mut self) -> Result<Option<Head>, UpstreamError> {
        self.take_head_of(false)
    }

    /// `take_head`; with `upgrading`, a 101 is the final answer.
    pub(super) fn take_head_of(&mut self, upgrading: bool) -> Result<Option<Head>, UpstreamError> {
        while let Some(head) = parse_head(&mut self.buf)? {
            if !head.status.is_informational() {
                return Ok(Some(head));
            }
            if head.status == StatusCode::SWITCHING_PROTOCOLS {
                if upgrading {
                    return Ok(Some(head));
                }
                return Err(UpstreamError::Invalid("switched protocols unasked"));
            }
        }
        if self.buf.len() >= MAX_HEAD_BYTES {
            return Err(UpstreamError::Invalid("response head too large"));
        }
        Ok(None)
    }

    /// Reads the response head. `Closed` when the connection ended before a single byte of an
    /// answer.
    pub(super) async fn read_head(&mut self) -> Result<Head, UpstreamError> {
        self.read_head_of(false).await
    }

    /// `read_head`; with `upgrading`, a 101 is the final answer.
    pub(super) async fn read_head_of(&mut self, upgrading: bool) -> Result<Head, UpstreamError> {
        let mut answered = !self.buf.is_empty();
        loop {
            if let Some(head) = self.take_head_of(upgrading)? {
                return Ok(head);
            }
            match self.fill().await {
                Ok(0) if answered => {
                    return Err(UpstreamError::Invalid("connection closed inside the head"))
                }
                Ok(0) => return Err(UpstreamError::Closed),
                Ok(_) => answered = true,
                Err(e) if !answered && is_reset(&e) => return Err(UpstreamError::Closed),
                Err(e) => return Err(UpstreamError::Receive(e)),
            }
        }
    }
}

/// A request body on its way out.
pub(super) struct Sending<'a> {
    pub(super) body: &'a mut RequestBody,
    pub(super) framing: BodyFraming,
    /// Bytes to write before the next piece of the body is taken.
    pub(super) pending: Bytes,
    /// Body bytes taken so far.
    pub(super) sent: u64,
    pub(super) body_done: bool,
    /// Still reading for an early answer (until the upstream's side closes).
    pub(super) listening: bool,
}

impl Sending<'_> {
    /// The next piece of the body, framed.
    pub(super) fn take(&mut self, data: Bytes) -> Result<(), UpstreamError> {
        if data.is_empty() {
            return Ok(());
        }
        self.sent += data.len() as u64;
        self.pending = match self.framing {
            BodyFraming::Length(n) if self.sent > n => return Err(UpstreamError::RequestLength),
            BodyFraming::Chunked => {
                // One write for the chunk: size line, data and line end together.
                let mut chunk = BytesMut::with_capacity(data.len() + 20);
                chunk.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                chunk.extend_from_slice(&data);
                chunk.extend_from_slice(b"\r\n");
                chunk.freeze()
            }
            BodyFraming::Length(_) | BodyFraming::Empty => data,
        };
        Ok(())
    }

    /// The body has ended: it must have been as long as announced.
    pub(super) fn finish(&mut self) -> Result<(), UpstreamError> {
        match self.framing {
            BodyFraming::Length(n) if self.sent != n => return Err(UpstreamError::RequestLength),
            BodyFraming::Chunked => self.pending = Bytes::from_static(b"0\r\n\r\n"),
            BodyFraming::Length(_) | BodyFraming::Empty => {}
        }
        self.body_done = true;
        Ok(())
    }
}

/// The connection was cut rather than answered on. TLS reports a peer that closed without
/// `close_notify` (as many servers close idle connections) as an unexpected end.
pub(super) fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}
