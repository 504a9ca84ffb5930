//! A visitor's request body on its way to the upstream: what was read ahead before an upstream
//! slot was taken (all of it, for a body that fit), then the rest as the visitor sends it, each
//! piece of which must come within the idle timeout. Must not buffer beyond what it is given.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;

use super::UpstreamError;

pub struct RequestBody {
    /// Read ahead and not yet sent.
    ahead: Option<Bytes>,
    /// Still coming from the visitor.
    rest: Option<Incoming>,
    idle: Duration,
    /// Armed while the visitor keeps us waiting; made only then.
    timer: Option<Pin<Box<Sleep>>>,
}

impl RequestBody {
    /// No body.
    pub fn empty() -> RequestBody {
        RequestBody::read(Bytes::new(), None, Duration::MAX)
    }

    /// `ahead`, then what `rest` brings, each piece within `idle` of the last.
    pub fn read(ahead: Bytes, rest: Option<Incoming>, idle: Duration) -> RequestBody {
        RequestBody {
            ahead: (!ahead.is_empty()).then_some(ahead),
            rest,
            idle,
            timer: None,
        }
    }
}

impl HttpBody for RequestBody {
    type Data = Bytes;
    type Error = UpstreamError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        let this = &mut *self;
        if let Some(ahead) = this.ahead.take() {
            return Poll::Ready(Some(Ok(Frame::data(ahead))));
        }
        let Some(rest) = this.rest.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(rest).poll_frame(cx) {
            Poll::Ready(piece) => {
                this.timer = None;
                if piece.is_none() {
                    this.rest = None;
                }
                Poll::Ready(piece.map(|r| r.map_err(UpstreamError::RequestBody)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.rest = None;
                        Poll::Ready(Some(Err(UpstreamError::RequestIdle)))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ahead.is_none() && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let ahead = self.ahead.as_ref().map_or(0, |a| a.len() as u64);
        match &self.rest {
            None => SizeHint::with_exact(ahead),
            Some(rest) => match rest.size_hint().exact() {
                Some(n) => SizeHint::with_exact(ahead + n),
                None => SizeHint::default(),
            },
        }
    }
}
