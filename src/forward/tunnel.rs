//! A switched connection (a WebSocket) between an admitted visitor and the upstream: bytes
//! both ways until either side closes or neither says anything for the idle timeout. It keeps
//! its upstream slot and its pass's place for as long as it lives. Must not read the bytes.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use prometheus::IntCounter;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http1::Upgraded;

use super::Hold;

/// Carries bytes between the visitor's side of `visitor` (once hyper hands the connection
/// over after the 101) and `upstream` until one closes or both are quiet for `idle`.
pub async fn tunnel(
    visitor: OnUpgrade,
    upstream: Upgraded,
    hold: Hold,
    idle: Duration,
    idled: IntCounter,
) {
    let Ok(visitor) = visitor.await else {
        return;
    };
    let started = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let mut visitor = Watched {
        io: TokioIo::new(visitor),
        last: last.clone(),
        started,
    };
    let mut upstream = Watched {
        io: upstream,
        last: last.clone(),
        started,
    };
    let quiet = async {
        let mut tick = tokio::time::interval(idle.min(Duration::from_secs(1)));
        loop {
            tick.tick().await;
            let since = started.elapsed().as_millis() as u64 - last.load(Ordering::Relaxed);
            if since >= idle.as_millis() as u64 {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut visitor, &mut upstream) => {}
        () = quiet => {
            idled.inc();
            tracing::debug!("switched connection quiet for body_idle_timeout; closed");
        }
    }
    drop((visitor, upstream, hold));
}

/// A stream that notes when it last moved a byte.
struct Watched<T> {
    io: T,
    /// Milliseconds after `started` of the last byte either way.
    last: Arc<AtomicU64>,
    started: Instant,
}

impl<T> Watched<T> {
    fn moved(&self) {
        self.last
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.moved();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
