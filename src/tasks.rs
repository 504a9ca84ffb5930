//! Background work's one life: every task that runs beside the requests (the listeners'
//! accept loops, the tick, the outbox, the state saver, each shared room's Redis sync) is
//! started here with a name and the shutdown signal of its stage, tracked until it ends,
//! awaited at shutdown within the grace period (and aborted after it, by name), and restarted
//! with backoff when it panics, each restart logged and counted in
//! `wartesaal_task_restarts_total{task}`. Must not know what the tasks do.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::IntCounterVec;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// First pause before a panicked task runs again; it doubles up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A task that ran this long before panicking starts again from the shortest pause.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// When a task is stopped: the serving stage ends first (no new requests), the state stage
/// after every connection has drained (the requests still in flight need the state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Serving,
    State,
}

impl Stage {
    fn index(self) -> usize {
        match self {
            Stage::Serving => 0,
            Stage::State => 1,
        }
    }
}

/// Starts, restarts and stops the background tasks.
pub struct Supervisor {
    stops: [watch::Sender<bool>; 2],
    tasks: Mutex<[JoinSet<()>; 2]>,
    /// Names of the tasks alive now, by stage (a name may be there more than once).
    running: Arc<Mutex<[Vec<&'static str>; 2]>>,
    restarts: IntCounterVec,
}

impl Supervisor {
    /// `restarts`: the counter by task name (`wartesaal_task_restarts_total`).
    pub fn new(restarts: IntCounterVec) -> Arc<Supervisor> {
        Arc::new(Supervisor {
            stops: [watch::channel(false).0, watch::channel(false).0],
            tasks: Mutex::new([JoinSet::new(), JoinSet::new()]),
            running: Arc::new(Mutex::new([Vec::new(), Vec::new()])),
            restarts,
        })
    }

    /// Runs `make(stopped)` as task `name` of `stage`, and again after a panic (with backoff),
    /// until it returns: it must return once `stopped` turns true.
    pub fn spawn<M, F>(&self, stage: Stage, name: &'static str, mut make: M)
    where
        M: FnMut(watch::Receiver<bool>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let mut stopped = self.stops[stage.index()].subscribe();
        let restarts = self.restarts.with_label_values(&[name]);
        let running = self.running.clone();
        lock(&running)[stage.index()].push(name);
        let life = async move {
            let _alive = Alive {
                running,
                stage,
                name,
            };
            let mut backoff = MIN_BACKOFF;
            loop {
                let began = Instant::now();
                let mut run = AbortOnDrop(tokio::spawn(make(stopped.clone())));
                match (&mut run.0).await {
                    Ok(()) => return,
                    Err(e) if e.is_cancelled() => return,
                    Err(e) => {
                        restarts.inc();
                        let why = panic_text(e);
                        tracing::error!(task = name, panic = %why, retry_in = ?backoff, "background task panicked; starting it again");
                    }
                }
                if began.elapsed() >= HEALTHY_AFTER {
                    backoff = MIN_BACKOFF;
                }
                if *stopped.borrow() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stopped.changed() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        };
        lock(&self.tasks)[stage.index()].spawn(life);
    }

    /// Signals `stage`'s tasks to stop and waits up to `grace` for them; those still running
    /// then are aborted, logged by name, and returned.
    pub async fn stop(&self, stage: Stage, grace: Duration) -> Vec<&'static str> {
        let i = stage.index();
        let _ = self.stops[i].send(true);
        let mut tasks = std::mem::take(&mut lock(&self.tasks)[i]);
        let all_ended = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_ended).await.is_ok() {
            return Vec::new();
        }
        let late = lock(&self.running)[i].clone();
        tracing::warn!(tasks = ?late, "background tasks still running after the grace period; aborted");
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        late
    }

    /// The names of `stage`'s tasks alive now.
    pub fn running(&self, stage: Stage) -> Vec<&'static str> {
        lock(&self.running)[stage.index()].clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes a task's name off the list of the living when its life ends, however it ends.
struct Alive {
    running: Arc<Mutex<[Vec<&'static str>; 2]>>,
    stage: Stage,
    name: &'static str,
}

impl Drop for Alive {
    fn drop(&mut self) {
        let mut running = lock(&self.running);
        let names = &mut running[self.stage.index()];
        if let Some(at) = names.iter().position(|n| *n == self.name) {
            names.swap_remove(at);
        }
    }
}

/// One run of a task: aborted with the life that waits for it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into()),
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Opts;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn counter() -> IntCounterVec {
        IntCounterVec::new(Opts::new("t", "t"), &["task"]).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_started_again_with_backoff_and_counted() {
        let restarts = counter();
        let s = Supervisor::new(restarts.clone());
        let runs = Arc::new(AtomicU32::new(0));
        let r = runs.clone();
        s.spawn(Stage::Serving, "flaky", move |mut stopped| {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 3 {
                    panic!("run {n} fails");
                }
                let _ = stopped.wait_for(|s| *s).await;
            }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4, "three panics, then it runs");
        assert_eq!(restarts.with_label_values(&["flaky"]).get(), 3);
        assert_eq!(s.running(Stage::Serving), ["flaky"]);
        assert!(s
            .stop(Stage::Serving, Duration::from_secs(1))
            .await
            .is_empty());
        assert!(s.running(Stage::Serving).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_every_task_and_names_one_that_outlives_the_grace() {
        let s = Supervisor::new(counter());
        for name in ["tick", "outbox"] {
            s.spawn(Stage::Serving, name, |mut stopped| async move {
                let _ = stopped.wait_for(|s| *s).await;
            });
        }
        s.spawn(Stage::State, "saver", |mut stopped| async move {
            let _ = stopped.wait_for(|s| *s).await;
        });
        s.spawn(Stage::State, "stuck", |_| std::future::pending::<()>());
        assert!(s
            .stop(Stage::Serving, Duration::from_secs(1))
            .await
            .is_empty());
        assert!(s.running(Stage::Serving).is_empty());
        assert_eq!(s.running(Stage::State).len(), 2, "the state stage goes on");
        assert_eq!(
            s.stop(Stage::State, Duration::from_secs(1)).await,
            ["stuck"]
        );
        assert!(s.running(Stage::State).is_empty());
    }
}
