//! The upstream's answer on its way to the visitor, decoupled from how fast the visitor reads:
//! what the upstream has sent is taken at once, and an answer that arrives whole that way
//! gives its upstream slot and connection back before the visitor has read a byte. A longer
//! one is pumped through a small buffer by a task of its own, with an idle timeout on both
//! sides that restarts with every piece: an upstream that stops sending, or a visitor who stops
//! reading (a tiny receive window, an HTTP/2 window of 0), frees the slot and the connection
//! after `body_idle_timeout`. Must not look at headers.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use prometheus::{IntCounter, IntGauge};
use tokio::sync::mpsc;

use crate::access::passes::PassInFlight;
use crate::http1::ResponseBody;

use super::{full, Body, Slot};

/// What the upstream side holds while its answer is read: released together, when the
/// upstream has sent its last byte or the exchange was given up.
pub struct Hold {
    pub slot: Slot,
    pub in_flight: UpstreamInFlight,
    /// The request's place among its pass's requests in flight.
    pub pass: Option<PassInFlight>,
}

/// Counts one upstream request in flight for as long as it lives.
pub struct UpstreamInFlight(IntGauge);

impl UpstreamInFlight {
    pub fn start(gauge: &IntGauge) -> UpstreamInFlight {
        gauge.inc();
        UpstreamInFlight(gauge.clone())
    }
}

impl Drop for UpstreamInFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// How much of an answer is taken at once before it is pumped instead: what fits this is
/// held in memory for the visitor and frees the upstream at once.
const TAKE_AT_ONCE: usize = 64 * 1024;
/// Pieces (each up to a read of 16 KiB) buffered between the upstream and a slow visitor.
const PUMP_PIECES: usize = 4;

/// The answer for the visitor. `idle` is `body_idle_timeout`; `idled` counts answers given up
/// for it.
pub fn streamed(
    resp: Response<ResponseBody>,
    hold: Hold,
    idle: Duration,
    idled: IntCounter,
) -> Response<Body> {
    let (parts, mut body) = resp.into_parts();
    let (taken, end) = take_ready(&mut body);
    let first = (!taken.is_empty()).then_some(taken);
    let (tx, rx) = mpsc::channel(PUMP_PIECES);
    // Set once the upstream's body ended as it should: anything else that ends the pump is a
    // cut answer, and must not reach the visitor as a whole one.
    let whole = Arc::new(AtomicBool::new(false));
    let size = match body.size_hint().exact() {
        Some(left) => SizeHint::with_exact(left + first.as_ref().map_or(0, |f| f.len() as u64)),
        None => SizeHint::default(),
    };
    match end {
        // All there: the upstream is free before the visitor reads (its connection went
        // back to the pool when the body's end was read).
        End::Done => {
            drop(hold);
            return Response::from_parts(parts, full(first.unwrap_or_default()));
        }
        End::Failed(e) => {
            drop(hold);
            let _ = tx.try_send(Err(e));
        }
        End::More => {
            // Owned by the answer: it ends as soon as the visitor's side (`rx`, in the body
            // the connection is writing) is dropped, which a shutdown's drain of the
            // connection does, or after `idle` without progress.
            tokio::spawn(pump(body, tx, hold, idle, idled, whole.clone()));
        }
    }
    let body = Pumped {
        first,
        rx,
        size,
        whole,
    };
    Response::from_parts(parts, http_body_util::Either::Right(body))
}

/// Where `take_ready` stopped.
enum End {
    Done,
    More,
    Failed(std::io::Error),
}

/// What the upstream's body has ready without waiting, up to `TAKE_AT_ONCE`, and where that
/// stopped.
fn take_ready(body: &mut ResponseBody) -> (Bytes, End) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut taken = BytesMut::new();
    // Most answers are one piece: kept as it is, without a copy.
    let mut first: Option<Bytes> = None;
    let end = loop {
        if taken.len() + first.as_ref().map_or(0, Bytes::len) >= TAKE_AT_ONCE {
            break End::More;
        }
        match Pin::new(&mut *body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                match first.take() {
                    None if taken.is_empty() => first = Some(data),
                    Some(earlier) => {
                        taken.extend_from_slice(&earlier);
                        taken.extend_from_slice(&data);
                    }
                    None => taken.extend_from_slice(&data),
                }
            }
            Poll::Ready(None) => break End::Done,
            Poll::Ready(Some(Err(e))) => break End::Failed(e),
            Poll::Pending => break End::More,
        }
    };
    (first.unwrap_or_else(|| taken.freeze()), end)
}

/// Moves the upstream's body to the visitor through a small buffer until it ends, the
/// visitor goes away, or either side is idle for `idle`.
async fn pump(
    mut body: ResponseBody,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    hold: Hold,
    idle: Duration,
    idled: IntCounter,
    whole: Arc<AtomicBool>,
) {
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(idle, body.frame()) => next,
            // The visitor went away: nothing to wait for.
            () = tx.closed() => break,
        };
        let piece = match next {
            Ok(None) => {
                whole.store(true, Ordering::Release);
                break;
            }
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
            Ok(Some(Err(e))) => {
                // Seen by the visitor's side as an error either way (`whole` stays false).
                let _ = tx.try_send(Err(e));
                break;
            }
            Err(_) => {
                idled.inc();
                tracing::debug!("upstream sent nothing for body_idle_timeout; answer cut");
                break;
            }
        };
        match tokio::time::timeout(idle, tx.send(Ok(piece))).await {
            Ok(Ok(())) => {}
            // The visitor went away.
            Ok(Err(_)) => break,
            Err(_) => {
                idled.inc();
                tracing::debug!("visitor read nothing for body_idle_timeout; answer cut");
                break;
            }
        }
    }
    // The upstream connection closes with `body` unless it was read to its end; the slot,
    // the in-flight count and the pass's place go with `hold`.
    drop((body, hold));
}

/// An answer's body as the pump hands it on.
pub struct Pumped {
    first: Option<Bytes>,
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    size: SizeHint,
    /// The pump read the upstream's body to its end.
    whole: Arc<AtomicBool>,
}

impl HttpBody for Pumped {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(piece)) => Poll::Ready(Some(piece.map(Frame::data))),
            Poll::Ready(None) if self.whole.load(Ordering::Acquire) => Poll::Ready(None),
            // Cut short (the upstream stalled or failed, or this side was too slow): an
            // error, so that the answer is not passed off as whole.
            Poll::Ready(None) => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the answer was cut short",
            )))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.size
    }
}
