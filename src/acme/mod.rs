//! Automatic HTTPS: owns the certificates ordered from an ACME CA (RFC 8555) for
//! `[server.tls.acme]`: loading the stored ones at start (so a CA that is down costs nothing
//! then), ordering what is missing, renewing each at two thirds of its life with backoff and
//! jitter after a failure, and handing each new one to the HTTPS listeners without a restart.
//! Several gateways on Redis order each certificate once and share it. Must not serve TLS or
//! HTTP: `tls` chooses what a handshake gets, the gateway answers HTTP-01 with `http01`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use instant_acme::{Account, AccountCredentials, NewAccount};
use prometheus::IntGaugeVec;
use tokio::sync::{watch, Notify};

use crate::access::ticket::{random_u64, Keyring};
use crate::clock::{Clock, Millis};
use crate::config::{AcmeChallenge, AcmeConfig};
use crate::state::SharedKeys;
use crate::tls::{self, x509, CertStore, Served};

mod client;
mod order;
mod shared;
mod store;

pub use store::Files;

use client::CaClient;
use order::{Answers, OrderError};
use shared::Shared;

/// The path prefix of HTTP-01 tokens (RFC 8555 §8.3).
pub const HTTP01_PREFIX: &str = "/.well-known/acme-challenge/";
/// The first retry after a failure; it doubles with each failure up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// How soon to look again while another gateway holds a domain's ordering lock.
const LOCKED_RETRY: Duration = Duration::from_secs(2);
/// The longest the renewal sleeps without looking: a clock moved or a certificate shared by
/// another gateway is seen within this.
const MAX_NAP: Duration = Duration::from_secs(3600);

/// How renewal stands for one domain.
#[derive(Debug, Default, Clone)]
struct Standing {
    /// Failures in a row.
    failures: u32,
    /// No attempt before this (backoff), in clock milliseconds.
    not_before: Millis,
    last_error: Option<String>,
}

/// The ACME side of the gateway.
pub struct Acme {
    cfg: AcmeConfig,
    files: Files,
    /// Why `state.dir` cannot keep certificates, if it cannot: they are still ordered and
    /// served, but lost at a restart.
    files_broken: Mutex<Option<String>>,
    answers: Answers,
    clock: Arc<dyn Clock>,
    expiry: IntGaugeVec,
    wake: Notify,
    account: tokio::sync::Mutex<Option<Account>>,
    standing: Mutex<BTreeMap<String, Standing>>,
}

impl Acme {
    /// Loads the stored certificates into `certs` (the gateway starts serving them whatever
    /// the CA does); nothing is ordered until `run`.
    pub fn new(
        cfg: AcmeConfig,
        state_dir: &Path,
        certs: Arc<CertStore>,
        clock: Arc<dyn Clock>,
        expiry: IntGaugeVec,
        shared: Option<(SharedKeys, &Keyring)>,
    ) -> Arc<Acme> {
        let files = Files::new(state_dir);
        let files_broken = files.prepare().err().map(|e| {
            let why = format!("cannot write {}: {e}", files.dir().display());
            tracing::error!(error = %why, "ACME: state.dir cannot keep certificates; they are ordered and served, but ordered again after every restart. Fix the folder's owner or mode");
            why
        });
        let acme = Acme {
            answers: Answers {
                http01: DashMap::new(),
                certs,
                shared: shared.map(|(keys, keyring)| Shared::new(keys, keyring)),
            },
            standing: Mutex::new(
                cfg.domains
                    .iter()
                    .map(|d| (d.clone(), Standing::default()))
                    .collect(),
            ),
            cfg,
            files,
            files_broken: Mutex::new(files_broken),
            clock,
            expiry,
            wake: Notify::new(),
            account: tokio::sync::Mutex::new(None),
        };
        for domain in &acme.cfg.domains {
            match acme.files.certificate(domain) {
                Ok(Some(pem)) => match tls::certified_from_pem(&pem) {
                    Ok(certified) => acme.install(domain, Served::new(certified), "stored"),
                    Err(why) => {
                        tracing::warn!(domain, file = %acme.files.cert_path(domain).display(), error = %why, "ACME: the stored certificate is unusable; a new one is ordered")
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(domain, error = %e, "ACME: cannot read the stored certificate; a new one is ordered")
                }
            }
        }
        Arc::new(acme)
    }

    /// The key authorization for an HTTP-01 `token`, if an order of this gateway (or, on
    /// Redis, of any gateway) waits for it.
    pub async fn http01(&self, token: &str) -> Option<String> {
        if let Some(answer) = self.answers.http01.get(token) {
            return Some(answer.clone());
        }
        let shared = self.answers.shared.as_ref()?;
        match shared.token(token).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, "ACME: cannot look up a challenge token in Redis");
                None
            }
        }
    }

    /// Whether a TLS-ALPN-01 validation may need an answer another gateway shared: only
    /// then does the HTTPS listener look at a handshake's first message before choosing.
    pub fn shares_alpn_answers(&self) -> bool {
        self.cfg.challenge == AcmeChallenge::TlsAlpn01 && self.answers.shared.is_some()
    }

    /// Server settings answering a TLS-ALPN-01 validation for `domain` with the answer
    /// another gateway shared through Redis; `None` when this gateway answers it itself (or
    /// nobody does).
    pub async fn shared_alpn_answer(&self, domain: &str) -> Option<Arc<rustls::ServerConfig>> {
        let shared = self.answers.shared.as_ref()?;
        if self.answers.certs.has_challenge(domain) || !self.cfg.domains.iter().any(|d| d == domain)
        {
            return None;
        }
        let digest = match shared.alpn(domain).await {
            Ok(digest) => digest?,
            Err(e) => {
                tracing::warn!(domain, error = %e, "ACME: cannot look up a TLS-ALPN-01 answer in Redis");
                return None;
            }
        };
        let answer = match order::alpn_answer(domain, &digest) {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(domain, error = %e, "ACME: cannot make the shared TLS-ALPN-01 answer");
                return None;
            }
        };
        let store = CertStore::of_files(Vec::new());
        store.set_challenge(domain, Some(answer));
        tls::server_config(store).ok()
    }

    /// Looks at every domain now instead of at the next planned moment (a test that moved
    /// the clock; an operator's nudge).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// What `/readyz` says of the certificates: the ones missing, expired, or failing to
    /// renew, and a `state.dir` that cannot keep them.
    pub fn health_notes(&self) -> Vec<String> {
        let now = (self.clock.now_ms() / 1000) as i64;
        let mut notes: Vec<String> = self
            .files_broken
            .lock()
            .map(|b| b.clone())
            .unwrap_or(None)
            .into_iter()
            .collect();
        let standing = self.standing.lock().map(|s| s.clone()).unwrap_or_default();
        for (domain, st) in standing {
            let served = self.answers.certs.acme(&domain);
            let failing = st
                .last_error
                .map(|e| format!("; the last attempt failed: {e}"))
                .unwrap_or_default();
            match served {
                None => notes.push(format!("certificate for {domain}: none yet{failing}")),
                Some(s) if s.facts.not_after <= now => notes.push(format!(
                    "certificate for {domain}: expired {}{failing}",
                    x509::show_time(s.facts.not_after)
                )),
                Some(s) if !failing.is_empty() => notes.push(format!(
                    "certificate for {domain}: expires {}{failing}",
                    x509::show_time(s.facts.not_after)
                )),
                Some(_) => {}
            }
        }
        notes
    }

    /// The renewal: orders what is missing or due, then sleeps until the next is due (or a
    /// retry after backoff), until the gateway stops.
    pub async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        loop {
            for domain in self.cfg.domains.clone() {
                if self.due_at(&domain) > self.clock.now_ms() {
                    continue;
                }
                tokio::select! {
                    () = self.attempt(&domain) => {}
                    _ = stopped.changed() => return,
                }
            }
            let now = self.clock.now_ms();
            let next = self
                .cfg
                .domains
                .iter()
                .map(|d| self.due_at(d))
                .min()
                .unwrap_or(Millis::MAX);
            let nap = Duration::from_millis(next.saturating_sub(now))
                .clamp(Duration::from_millis(200), MAX_NAP);
            tokio::select! {
                () = tokio::time::sleep(nap) => {}
                () = self.wake.notified() => {}
                _ = stopped.changed() => return,
            }
        }
    }

    /// When `domain` is to be looked at next: its renewal moment, or after its backoff.
    fn due_at(&self, domain: &str) -> Millis {
        let renew = self
            .answers
            .certs
            .acme(domain)
            .map(|s| (s.facts.renew_at().max(0) as Millis).saturating_mul(1000))
            .unwrap_or(0);
        let not_before = self
            .standing
            .lock()
            .ok()
            .and_then(|s| s.get(domain).map(|st| st.not_before))
            .unwrap_or(0);
        renew.max(not_before)
    }

    /// One try at a certificate for `domain`; a failure is logged and retried after backoff.
    async fn attempt(&self, domain: &str) {
        let outcome = self.obtain(domain).await;
        let now = self.clock.now_ms();
        let mut standing = self.standing.lock().unwrap_or_else(|p| p.into_inner());
        let st = standing.entry(domain.to_string()).or_default();
        match outcome {
            // Not again within a minute, even where this clock runs ahead of the CA's and a
            // new certificate looks due at once.
            Ok(Obtained::Done) => {
                *st = Standing {
                    not_before: now + MIN_BACKOFF.as_millis() as Millis,
                    ..Standing::default()
                }
            }
            Ok(Obtained::OtherGateway) => st.not_before = now + LOCKED_RETRY.as_millis() as Millis,
            Err(e) => {
                st.failures += 1;
                let wait = backoff(st.failures);
                st.not_before = now + wait.as_millis() as Millis;
                st.last_error = Some(e.to_string());
                let serving = self
                    .answers
                    .certs
                    .acme(domain)
                    .map(|s| x509::show_time(s.facts.not_after));
                tracing::error!(
                    domain,
                    step = e.step,
                    error = %e.reason,
                    failures = st.failures,
                    retry_in = %humantime::format_duration(Duration::from_secs(wait.as_secs())),
                    serving_until = serving.as_deref().unwrap_or("nothing yet"),
                    "ACME: no certificate this time; the one served (if any) stays"
                );
            }
        }
    }

    /// A certificate for `domain`: adopted from another gateway (Redis), or ordered.
    async fn obtain(&self, domain: &str) -> Result<Obtained, OrderError> {
        let Some(shared) = &self.answers.shared else {
            return self.order_and_keep(domain).await.map(|()| Obtained::Done);
        };
        if self.adopt_shared(shared, domain).await {
            return Ok(Obtained::Done);
        }
        let redis = |e: crate::state::StateError| OrderError {
            step: "taking the ordering lock in Redis",
            reason: e.to_string(),
            account_gone: false,
        };
        let locked = match shared.lock(domain).await {
            Ok(locked) => locked,
            // Better a second order than no certificate at all.
            Err(e) if self.answers.certs.acme(domain).is_none() => {
                tracing::warn!(domain, error = %e, "ACME: Redis is away and this gateway has no certificate for the domain; ordering it alone");
                return self.order_and_keep(domain).await.map(|()| Obtained::Done);
            }
            Err(e) => return Err(redis(e)),
        };
        if !locked {
            tracing::debug!(domain, "ACME: another gateway is ordering this certificate");
            return Ok(Obtained::OtherGateway);
        }
        tracing::info!(domain, "ACME: this gateway orders the certificate for all");
        let ordered = self.order_and_keep(domain).await;
        if let Err(e) = shared.unlock(domain).await {
            tracing::warn!(domain, error = %e, "ACME: cannot release the ordering lock; it lapses by itself");
        }
        ordered.map(|()| Obtained::Done)
    }

    /// Takes the certificate another gateway shared, if it is newer than the one served and
    /// not due for renewal; whether it did.
    async fn adopt_shared(&self, shared: &Shared, domain: &str) -> bool {
        let pem = match shared.certificate(domain).await {
            Ok(Some(pem)) => pem,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(domain, error = %e, "ACME: cannot read the shared certificate from Redis");
                return false;
            }
        };
        let Ok(certified) = tls::certified_from_pem(&pem) else {
            return false;
        };
        let served = Served::new(certified);
        let now = (self.clock.now_ms() / 1000) as i64;
        let current = self.answers.certs.acme(domain).map(|s| s.facts.not_after);
        if served.facts.renew_at() <= now || current >= Some(served.facts.not_after) {
            return false;
        }
        self.keep_file(domain, &pem);
        self.install(domain, served, "shared by another gateway");
        true
    }

    /// Orders a certificate, keeps it in `state.dir` (and Redis), and serves it.
    async fn order_and_keep(&self, domain: &str) -> Result<(), OrderError> {
        let account = self.account().await?;
        let pem = match order::order(&account, domain, self.cfg.challenge, &self.answers).await {
            Ok(pem) => pem,
            Err(e) => {
                if e.account_gone {
                    *self.account.lock().await = None;
                }
                return Err(e);
            }
        };
        let certified = tls::certified_from_pem(pem.as_bytes()).map_err(|why| OrderError {
            step: "reading the issued certificate",
            reason: why.to_string(),
            account_gone: false,
        })?;
        self.keep_file(domain, pem.as_bytes());
        if let Some(shared) = &self.answers.shared {
            if let Err(e) = shared.put_certificate(domain, pem.as_bytes()).await {
                tracing::warn!(domain, error = %e, "ACME: cannot share the certificate through Redis; the other gateways order their own");
            }
        }
        self.install(domain, Served::new(certified), "issued");
        Ok(())
    }

    fn keep_file(&self, domain: &str, pem: &[u8]) {
        if let Err(e) = self.files.save_certificate(domain, pem) {
            let why = format!(
                "cannot write {}: {e}",
                self.files.cert_path(domain).display()
            );
            tracing::error!(domain, error = %why, "ACME: the certificate is served but not kept; a restart orders it again");
            if let Ok(mut broken) = self.files_broken.lock() {
                *broken = Some(why);
            }
        }
    }

    /// Serves `served` for `domain` from the next handshake on.
    fn install(&self, domain: &str, served: Served, whence: &str) {
        let (not_after, renew_at) = (served.facts.not_after, served.facts.renew_at());
        self.expiry.with_label_values(&[domain]).set(not_after);
        self.answers.certs.put_acme(domain, served);
        tracing::info!(
            domain,
            expires = %x509::show_time(not_after),
            renew_from = %x509::show_time(renew_at),
            "ACME: serving the {whence} certificate"
        );
    }

    /// The CA account: the one kept in `state.dir`, or a new one (kept there).
    async fn account(&self) -> Result<Account, OrderError> {
        let mut held = self.account.lock().await;
        if let Some(account) = held.as_ref() {
            return Ok(account.clone());
        }
        let fail = |step: &'static str| {
            move |e: instant_acme::Error| OrderError {
                step,
                reason: e.to_string(),
                account_gone: false,
            }
        };
        let http = || -> Result<Box<CaClient>, OrderError> {
            let roots = self.cfg.ca.as_ref().map(|ca| ca.certs.as_slice());
            CaClient::new(roots).map(Box::new).map_err(|e| OrderError {
                step: "setting up TLS to the CA",
                reason: e.to_string(),
                account_gone: false,
            })
        };
        let stored = self.stored_account();
        let account = match stored {
            Some(credentials) => Account::builder_with_http(http()?)
                .from_credentials(credentials)
                .await
                .map_err(fail("reaching the CA's directory"))?,
            None => {
                let contact: Vec<&str> = self.cfg.contact.iter().map(String::as_str).collect();
                let (account, credentials) = Account::builder_with_http(http()?)
                    .create(
                        &NewAccount {
                            contact: &contact,
                            terms_of_service_agreed: true,
                            only_return_existing: false,
                        },
                        self.cfg.directory.clone(),
                        None,
                    )
                    .await
                    .map_err(fail("reaching the CA's directory to create the account"))?;
                tracing::info!(directory = %self.cfg.directory, account = account.id(), "ACME: account created");
                let kept = serde_json::to_vec(&StoredAccount {
                    directory: self.cfg.directory.clone(),
                    credentials,
                });
                match kept
                    .map_err(|e| e.to_string())
                    .and_then(|json| self.files.save_account(&json).map_err(|e| e.to_string()))
                {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "ACME: cannot keep the account key in state.dir; a restart makes a new account")
                    }
                }
                account
            }
        };
        *held = Some(account.clone());
        Ok(account)
    }

    /// The account kept for this directory, if any.
    fn stored_account(&self) -> Option<AccountCredentials> {
        let json = self.files.account().ok()??;
        let stored: StoredAccount = serde_json::from_slice(&json).ok()?;
        (stored.directory == self.cfg.directory).then_some(stored.credentials)
    }
}

/// `account.json`: the credentials with the directory they belong to, so a config that names
/// another CA makes a new account instead of using this one's key there.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredAccount {
    directory: String,
    credentials: AccountCredentials,
}

enum Obtained {
    Done,
    /// Another gateway holds the lock: look again shortly for what it shares.
    OtherGateway,
}

/// The pause after `failures` failures in a row: doubling from `MIN_BACKOFF` to `MAX_BACKOFF`,
/// each shortened by up to a fifth at random so that gateways started together spread out.
fn backoff(failures: u32) -> Duration {
    let doubled = MIN_BACKOFF.saturating_mul(1 << failures.saturating_sub(1).min(16));
    let full = doubled.min(MAX_BACKOFF);
    let jitter = full.as_millis() as u64 / 5 * (random_u64() % 1000) / 1000;
    full - Duration::from_millis(jitter)
}

/// For `wartesaal check`: what `state.dir` holds for each ACME domain.
pub fn describe_stored(cfg: &AcmeConfig, state_dir: &Path) -> Vec<String> {
    let files = Files::new(state_dir);
    cfg.domains
        .iter()
        .map(|domain| match files.certificate(domain) {
            Ok(Some(pem)) => match tls::certified_from_pem(&pem) {
                Ok(c) => {
                    let s = Served::new(c);
                    format!(
                        "ACME {domain}: stored certificate covers {}, expires {}",
                        s.facts.names.join(", "),
                        x509::show_time(s.facts.not_after)
                    )
                }
                Err(why) => {
                    format!("ACME {domain}: stored certificate unusable ({why}); ordered at start")
                }
            },
            Ok(None) => format!(
                "ACME {domain}: no certificate yet; ordered from {} at start",
                cfg.directory
            ),
            Err(e) => format!(
                "ACME {domain}: cannot read {}: {e}",
                files.cert_path(domain).display()
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_a_cap() {
        for failures in 1..40 {
            let b = backoff(failures);
            let full = MIN_BACKOFF
                .saturating_mul(1 << (failures - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(b <= full && b >= full * 4 / 5, "{failures}: {b:?}");
        }
        assert!(backoff(30) <= MAX_BACKOFF);
    }
}
