//! One protected room at run time: its config, keys, state, upstream gate and pool, issuance
//! rules and templates, and the tokens it signs for visitors (tickets, passes, challenges,
//! the cookies that carry them). Must not decide what happens to a request: `gateway` does.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};

use crate::access::issuance::{AddressLimiter, Challenges};
use crate::access::passes::PassLimiter;
use crate::access::ticket::{Kind, RoomKeys, Token};
use crate::clock::Millis;
use crate::config::{Config, RoomConfig};
use crate::forward::{self, CookieName, UpstreamGate};
use crate::http1::UpstreamPool;
use crate::metrics::{Metrics, RoomMetrics};
use crate::notify::Notifier;
use crate::page::templates::Templates;
use crate::page::View;
use crate::site::path::{path_is_plain, starts_at_segment};
use crate::state::{Gate, RoomState};

/// How long a proof-of-work challenge may take to solve, at the least: minutes on the slowest
/// phone. Harder puzzles get ten times what a slow phone (50,000 hashes a second) needs.
const CHALLENGE_TTL: u64 = 300;
/// How long a handed-out eligibility form may come back: time to read and to think.
const FORM_TTL: u64 = 3600;
/// How long "every answer was yes" lets its holder go on to a ticket: a puzzle on a slow
/// phone, a reload or two.
const ANSWERED_TTL: u64 = 900;

/// One protected room at run time.
pub struct Room {
    pub cfg: Arc<RoomConfig>,
    pub keys: RoomKeys,
    pub state: Arc<dyn RoomState>,
    pub upstream: Arc<UpstreamGate>,
    pub issuance: Issuance,
    pub metrics: RoomMetrics,
    pub cookie_name: CookieName,
    /// Kept-alive connections to the upstream (kept across reloads while the upstream and
    /// its CA stay the same).
    pub pool: Arc<UpstreamPool>,
    /// The operator's own page templates (`template_dir`); `None`: the built-in pages.
    pub templates: Option<Arc<Templates>>,
    /// A hash of the eligibility questions: forms and "yes" tokens of other questions (a
    /// reload changed them) are not taken.
    pub questions: u64,
    /// Place codes of the current line already made (`site::codes`).
    pub codes: arc_swap::ArcSwap<super::codes::CodeCache>,
    /// The e-mail side, with `[rooms.notify]`.
    pub notifier: Option<Arc<Notifier>>,
}

/// A room's issuance rules at run time; each part is kept across reloads while its setting
/// is unchanged, so a reload neither forgets who drew tickets nor invalidates challenges.
#[derive(Clone)]
pub struct Issuance {
    pub limiter: Option<Arc<AddressLimiter>>,
    pub challenges: Option<Arc<Challenges>>,
    /// What each pass may put on the upstream.
    pub passes: Arc<PassLimiter>,
    /// Place codes tried per address (`access::code::GUESSES_PER_MINUTE`).
    pub guesses: Arc<AddressLimiter>,
    /// Answered eligibility forms that drew a ticket: one ticket per answer.
    pub answers: Arc<crate::access::answers::AnswerDraws>,
}

impl Issuance {
    /// `shared`: the room's state is shared by several gateways, which check challenges'
    /// single use and the address limit together.
    pub fn new(cfg: &RoomConfig, old: Option<&Issuance>, shared: bool, now: Millis) -> Issuance {
        let per_minute = cfg.tickets.issuance.per_ip_per_minute;
        let limiter = match old.and_then(|o| o.limiter.as_ref()) {
            Some(l) if l.per_minute() == per_minute => Some(l.clone()),
            _ => (per_minute > 0).then(|| Arc::new(AddressLimiter::new(per_minute))),
        };
        let challenges = (cfg.tickets.issuance.proof_of_work_bits > 0).then(|| {
            old.and_then(|o| o.challenges.clone())
                .filter(|c| c.is_shared() == shared)
                .unwrap_or_else(|| {
                    Arc::new(if shared {
                        Challenges::shared()
                    } else {
                        Challenges::new(now)
                    })
                })
        });
        let bounds = cfg.tickets.issuance.pass_bounds;
        let passes = match old {
            Some(o) if o.passes.bounds() == bounds => o.passes.clone(),
            _ => Arc::new(PassLimiter::new(bounds)),
        };
        let guesses = old.map(|o| o.guesses.clone()).unwrap_or_else(|| {
            Arc::new(AddressLimiter::new(crate::access::code::GUESSES_PER_MINUTE))
        });
        let answers = old.map(|o| o.answers.clone()).unwrap_or_default();
        Issuance {
            limiter,
            challenges,
            passes,
            guesses,
            answers,
        }
    }

    /// Counts a new ticket for `ip`, or the seconds until one is allowed again.
    pub fn allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        match &self.limiter {
            Some(limiter) => limiter.allow(ip, now),
            None => Ok(()),
        }
    }

    /// `allow` without counting.
    pub fn would_allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        match &self.limiter {
            Some(limiter) => limiter.would_allow(ip, now),
            None => Ok(()),
        }
    }
}

impl Room {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: Arc<RoomConfig>,
        config: &Config,
        metrics: &Metrics,
        state: Arc<dyn RoomState>,
        upstream: Arc<UpstreamGate>,
        issuance: Issuance,
        pool: Arc<UpstreamPool>,
        templates: Option<Arc<Templates>>,
    ) -> Room {
        Room {
            pool,
            templates,
            keys: config.keys.for_room(&cfg.id),
            upstream,
            issuance,
            metrics: metrics.room(&cfg.id, cfg.tickets.eligibility.len()),
            cookie_name: CookieName::new(cfg.cookie_name()),
            state,
            questions: questions_hash(&cfg),
            codes: arc_swap::ArcSwap::from_pointee(super::codes::CodeCache::new(
                crate::access::code::Line {
                    started_at: 0,
                    base: 0,
                },
            )),
            notifier: None,
            cfg,
        }
    }

    /// Where the eligibility form is sent.
    pub fn eligibility_path(&self) -> String {
        format!("/.wartesaal/eligibility?room={}", self.cfg.id)
    }

    /// Whether the room asks eligibility questions before its line.
    pub fn asks(&self) -> bool {
        !self.cfg.tickets.eligibility.is_empty()
    }

    /// A signed eligibility form for the questions asked now.
    pub fn form_token(&self, now_s: u64) -> String {
        self.keys.sign(&Token {
            kind: Kind::Asked,
            seq: self.questions,
            expires_at: now_s + FORM_TTL,
            id: now_s,
        })
    }

    /// Whether `text` is a form this room handed out for its questions now, and not expired.
    pub fn is_form(&self, text: &str, now_s: u64) -> bool {
        self.keys
            .verify(text, now_s)
            .is_ok_and(|t| t.kind == Kind::Asked && t.seq == self.questions)
    }

    /// The cookie that says every question was answered yes (and nothing of the answers).
    pub fn answered_cookie(&self, now_s: u64, secure: bool) -> HeaderValue {
        let token = Token {
            kind: Kind::Answered,
            seq: self.questions,
            expires_at: now_s + ANSWERED_TTL,
            // Tells this answer from every other: it draws one ticket (`access::answers`).
            id: crate::access::ticket::random_u64(),
        };
        self.cookie(&self.keys.sign(&token), ANSWERED_TTL, secure)
    }

    /// The id of the answered form `token` is, when drawing with it is what it is for.
    pub fn answer_id(&self, token: Option<&Token>) -> Option<u64> {
        token
            .filter(|t| self.asks() && t.kind == Kind::Answered && t.seq == self.questions)
            .map(|t| t.id)
    }

    /// Whether `token` lets its holder draw a ticket as far as the questions go.
    pub fn may_draw(&self, token: Option<&Token>) -> bool {
        !self.asks() || token.is_some_and(|t| t.kind == Kind::Answered && t.seq == self.questions)
    }

    /// Whether a request passes without queueing: from a bypass network, for a bypass path,
    /// with the bypass header's secret, or from a bypass user agent.
    pub fn is_bypass(&self, path: &str, client_ip: IpAddr, headers: &HeaderMap) -> bool {
        let secret = self.cfg.scope.bypass_header.as_ref().is_some_and(|h| {
            headers
                .get(&h.name)
                .is_some_and(|v| same_secret(v.as_bytes(), h.value.as_bytes()))
        });
        let agent = !self.cfg.scope.bypass_user_agents.is_empty()
            && headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| {
                    let lower = ua.to_ascii_lowercase();
                    self.cfg
                        .scope
                        .bypass_user_agents
                        .iter()
                        .any(|m| m.matches(ua, &lower))
                });
        secret
            || agent
            || self
                .cfg
                .scope
                .bypass_cidrs
                .iter()
                .any(|net| net.contains(&client_ip))
            || (path_is_plain(path)
                && self
                    .cfg
                    .scope
                    .bypass_paths
                    .iter()
                    .any(|p| starts_at_segment(path, p)))
    }

    /// The room's token from the request, if it is genuine; refusals are counted.
    pub fn token(&self, headers: &HeaderMap, now_s: u64) -> Option<Token> {
        let text = forward::find_cookie(headers, &self.cookie_name)?;
        match self.keys.verify(text, now_s) {
            Ok(token) => Some(token),
            Err(why) => {
                self.metrics.token_rejected(why);
                tracing::debug!(room = %self.cfg.id, reason = why.reason(), "token refused");
                None
            }
        }
    }

    pub fn cookie(&self, value: &str, max_age: u64, secure: bool) -> HeaderValue {
        use std::fmt::Write;
        let mut text = String::with_capacity(self.cookie_name.as_str().len() + value.len() + 72);
        let _ = write!(
            text,
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.cookie_name.as_str(),
            if secure { "; Secure" } else { "" }
        );
        // Cookie names are [a-z0-9_-] and tokens base64url: always a valid header value. The
        // text becomes the header's bytes without another copy.
        HeaderValue::from_maybe_shared(Bytes::from(text))
            .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    pub fn ticket_cookie(&self, seq: u64, drawn_at: u64, now_s: u64, secure: bool) -> HeaderValue {
        let valid = self.ticket_lasts();
        let token = Token {
            kind: Kind::Ticket,
            seq,
            expires_at: now_s + valid,
            id: drawn_at,
        };
        self.cookie(&self.keys.sign(&token), valid, secure)
    }

    /// Seconds a ticket is valid: `hold_place_for` plus the time it may go unrenewed (5 % of
    /// it, at least a second; see `renewed_ticket`), so that the place is held for
    /// `hold_place_for` after the visitor was last seen. 5 % (45 s of the default 15 minutes)
    /// spans a few of the page's polls, which come every 5 to 30 s.
    pub fn ticket_lasts(&self) -> u64 {
        let hold = self.cfg.tickets.hold_place_for.as_secs();
        hold + (hold / 20).max(1)
    }

    /// A ticket in line renewed with the answer once it has gone unrenewed as long as it may,
    /// as `renewed_pass` does for passes: most status polls and page reloads then cost no
    /// signature and carry no cookie. `None`: the ticket in hand is fresh enough.
    pub fn renewed_ticket(&self, ticket: &Token, now_s: u64, secure: bool) -> Option<HeaderValue> {
        let due = ticket.expires_at <= now_s + self.cfg.tickets.hold_place_for.as_secs();
        due.then(|| self.ticket_cookie(ticket.seq, ticket.id, now_s, secure))
    }

    pub fn pass_cookie(&self, session: u64, seq: u64, now_s: u64, secure: bool) -> HeaderValue {
        let valid = self.pass_lasts();
        let token = Token {
            kind: Kind::Pass,
            seq,
            expires_at: now_s + valid,
            id: session,
        };
        self.cookie(&self.keys.sign(&token), valid, secure)
    }

    /// Seconds a pass is valid: `session_duration` plus the time it may go unrenewed (1 % of
    /// it, at least a second; see `renewed_pass`), so that it lasts `session_duration` after
    /// the visitor's last request.
    pub fn pass_lasts(&self) -> u64 {
        let idle = self.cfg.tickets.session_duration.as_secs();
        idle + (idle / 100).max(1)
    }

    /// A pass renewed with the answer once it has gone unrenewed as long as it may: an answer
    /// without a cookie spares a signature and a header. `None`: the pass in hand is fresh
    /// enough.
    pub fn renewed_pass(&self, pass: &Token, now_s: u64, secure: bool) -> Option<HeaderValue> {
        // Made at `expires_at - pass_lasts`; due once less than `session_duration` is left.
        let due = pass.expires_at <= now_s + self.cfg.tickets.session_duration.as_secs();
        due.then(|| self.pass_cookie(pass.id, pass.seq, now_s, secure))
    }

    pub fn clear_cookie(&self, secure: bool) -> HeaderValue {
        self.cookie("", 0, secure)
    }

    /// With proof of work on: a fresh single-use challenge in `view`, for a visitor who needs
    /// a new ticket.
    /// What the room's shared state checks with a draw for `ip` (and a solved challenge):
    /// nothing when each gateway checks for itself.
    pub fn gate(&self, ip: IpAddr, challenge: Option<(u64, Millis)>) -> Gate {
        if !self.state.shares_issuance() {
            return Gate::default();
        }
        let per_minute = self.cfg.tickets.issuance.per_ip_per_minute;
        Gate {
            address: (per_minute > 0).then(|| (Gate::address_hash(&self.cfg.id, ip), per_minute)),
            challenge,
        }
    }

    pub fn challenge(&self, view: &mut View<'_>, now_s: u64) {
        let Some(challenges) = &self.issuance.challenges else {
            return;
        };
        let bits = self.cfg.tickets.issuance.proof_of_work_bits;
        let slow_phone = (1u64 << bits) / 50_000;
        let token = Token {
            kind: Kind::Challenge,
            seq: u64::from(bits),
            expires_at: now_s + CHALLENGE_TTL.max(slow_phone * 10),
            id: challenges.issue(),
        };
        view.puzzle.challenge = Some(self.keys.sign(&token));
        view.puzzle.proof_of_work_bits = Some(bits);
    }
}

/// The questions as asked (in every language), hashed: German and English first, as
/// before there were more, so that a form in hand stays good across the upgrade.
fn questions_hash(cfg: &RoomConfig) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for q in &cfg.tickets.eligibility {
        let text = |tag: &str| q.texts.get(tag).map_or("", String::as_str);
        h.update(text("de").as_bytes());
        h.update([0]);
        h.update(text("en").as_bytes());
        h.update([0]);
        for (tag, t) in q
            .texts
            .iter()
            .filter(|(tag, _)| *tag != "de" && *tag != "en")
        {
            h.update(tag.as_bytes());
            h.update([0]);
            h.update(t.as_bytes());
            h.update([0]);
        }
    }
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().unwrap_or([0; 8]))
}

/// `a == b` in time that depends only on the lengths: a secret header is not guessed byte by
/// byte from how fast it is refused.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
