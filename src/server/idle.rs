//! HTTP/2 idle tracking: requests in flight on one connection and when the last one ended, so
//! that an idle connection (or one that never sends a request) gives its slot back. Must not
//! look inside requests.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

/// Requests in flight on one HTTP/2 connection and when the last one ended, so that an idle
/// connection (or one that never sends a request) gives its slot back.
pub(super) struct Activity {
    pub(super) since: tokio::time::Instant,
    pub(super) in_flight: AtomicUsize,
    /// Milliseconds after `since` of the last start or end of a request; 0 = none yet.
    pub(super) last: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            since: tokio::time::Instant::now(),
            in_flight: Default::default(),
            last: Default::default(),
        })
    }

    pub(super) fn touch(&self) {
        let ms = self.since.elapsed().as_millis().max(1) as u64;
        self.last.store(ms, Relaxed);
    }

    pub(super) fn served(&self) -> bool {
        self.last.load(Relaxed) > 0
    }

    /// Zero while a request (or its response body) is in flight.
    pub(super) fn idle_for(&self) -> Duration {
        if self.in_flight.load(Relaxed) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last.load(Relaxed));
        self.since.elapsed().saturating_sub(last)
    }
}

/// Holds one request's place in `Activity` until its response body is done or dropped.
pub(super) struct InFlight(Arc<Activity>);

impl InFlight {
    pub(super) fn new(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Relaxed);
        activity.touch();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

/// A service that counts its requests in an `Activity`.
pub(super) struct Counted<S> {
    pub(super) inner: S,
    pub(super) activity: Arc<Activity>,
}

impl<S> Counted<S> {
    /// `inner`, counted from now in an `Activity` of its own.
    pub(super) fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            activity: Activity::new(),
        }
    }
}

impl<S> hyper::service::Service<http::Request<hyper::body::Incoming>> for Counted<S>
where
    S: hyper::service::Service<
        http::Request<hyper::body::Incoming>,
        Response = http::Response<crate::forward::Body>,
        Error = std::convert::Infallible,
    >,
    S::Future: Send + 'static,
{
    type Response = http::Response<Guarded>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let guard = InFlight::new(&self.activity);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let resp = answer.await?;
            Ok(resp.map(|body| Guarded {
                inner: body,
                _guard: guard,
            }))
        })
    }
}

/// A response body that keeps its request counted as in flight until it is done.
pub(super) struct Guarded {
    pub(super) inner: crate::forward::Body,
    pub(super) _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = <crate::forward::Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
