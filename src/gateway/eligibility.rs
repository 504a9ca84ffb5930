//! Asked before the line: the eligibility form a visitor gets before a ticket is drawn, and
//! `POST /.wartesaal/eligibility` judging it. Every "yes" lets the visitor go on (to the
//! puzzle, then the ticket); a "no" shows that question's `otherwise` text at once. Answers are
//! counted per question and never stored or logged; a post that is incomplete, has unknown or
//! repeated fields, or carries a form of another room or of other questions gets the form
//! again, never a ticket.

use http::header::HeaderValue;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;

use crate::access::ticket::Kind;
use crate::config::Question;
use crate::metrics::Outcome;
use crate::page::{self, FormError, QuestionsPage};
use crate::site::path::percent_decode;
use crate::site::Room;

use super::internal::{form_body, local_path};
use super::{decide, Decision, Gateway, Reply, Visit};

/// The form is short: a token, a path and a yes or no per question.
const MAX_FORM_BODY: usize = 4096;
/// The longest `back` a form carries (as given; encoded in the body it takes up to three
/// times this): a longer address returns to `/`, so the form always fits `MAX_FORM_BODY`.
const MAX_BACK: usize = 1000;

/// The form, for a visitor who needs a ticket and has not answered yet (or whose post was
/// refused for `error`). `cookie`: what goes with it (the room cookie cleared, when the one
/// that brought the visitor here holds no place any more).
pub(super) fn ask<'a>(
    room: &'a Room,
    visit: &Visit,
    back: &str,
    now_s: u64,
    error: Option<FormError>,
    cookie: Option<HeaderValue>,
) -> Reply<'a> {
    let lang = visit.lang(&room.cfg.locales);
    let back = if back.len() > MAX_BACK { "/" } else { back };
    let page = QuestionsPage::form(&room.cfg, lang, room.form_token(now_s), back, error);
    let (status, outcome) = match error {
        None => (StatusCode::OK, Outcome::Waiting),
        Some(_) => (StatusCode::BAD_REQUEST, Outcome::Rejected),
    };
    Reply::Questions {
        room,
        status,
        body: page::questions_page(room.templates.as_deref(), &page),
        cookie,
        location: None,
        outcome,
    }
}

/// The ticket an answered form drew before, for a copy of its cookie: the same place, never
/// a second one. A ticket that no longer holds a place sends its holder to the questions.
pub(super) fn given_back<'a>(room: &'a Room, visit: &Visit, seq: u64, now_s: u64) -> Reply<'a> {
    let figures = room.state.figures(now_s * 1000);
    if !figures.holds(seq) {
        let clear = Some(room.clear_cookie(visit.secure));
        return ask(room, visit, visit.target(), now_s, None, clear);
    }
    let cookie = Some(room.ticket_cookie(seq, now_s, now_s, visit.secure));
    super::waiting(room, visit, &figures, Some(seq), cookie, now_s)
}

impl Gateway {
    /// `POST /.wartesaal/eligibility?room=…`: `form=…&back=…&q1=yes&q2=no…`.
    pub(super) async fn answered<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        if req.method() != Method::POST {
            return Reply::rejected(
                room,
                StatusCode::METHOD_NOT_ALLOWED,
                "send the eligibility form with POST",
            );
        }
        if !room.asks() {
            return Reply::rejected(
                room,
                StatusCode::NOT_FOUND,
                "this room asks no questions before its line",
            );
        }
        // What the visitor holds already: a place in line or on the site is never traded for
        // an answer, whatever the form says (a second tab, the Back button).
        let now = self.clock.now_ms();
        let token = room.token(req.headers(), now / 1000);
        let live = token
            .filter(|t| t.kind == Kind::Pass)
            .is_some_and(|t| room.state.session_seen(t.id, now));
        let has_place = matches!(
            decide(token.as_ref(), live, &room.state.figures(now)),
            Decision::Proxy { .. } | Decision::Admit { .. } | Decision::Wait { .. }
        );
        let held = token.map(|t| t.kind);
        let body = match form_body(
            room,
            req.into_body(),
            MAX_FORM_BODY,
            "the eligibility form is a short form; this one is too long",
            "the eligibility form did not arrive in time; send it again",
        )
        .await
        {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let now_s = self.clock.now_ms() / 1000;
        let text = std::str::from_utf8(&body).unwrap_or("");
        let back = local_path(field(text, "back").unwrap_or_else(|| "/".into()));
        let answers = match field(text, "form") {
            Some(form) if room.is_form(&form, now_s) => {
                read_answers(text, room.cfg.tickets.eligibility.len())
            }
            _ => Err(FormError::Stale),
        };
        let answers = match answers {
            Ok(answers) => answers,
            Err(why) => return ask(room, visit, &back, now_s, Some(why), None),
        };
        for (counters, yes) in room.metrics.doors.eligibility.iter().zip(&answers) {
            counters[usize::from(!yes)].inc();
        }
        let refused: Vec<&Question> = room
            .cfg
            .tickets
            .eligibility
            .iter()
            .zip(&answers)
            .filter(|(_, yes)| !**yes)
            .map(|(q, _)| q)
            .collect();
        if !refused.is_empty() {
            let lang = visit.lang(&room.cfg.locales);
            let page = QuestionsPage::refused(&room.cfg, lang, &refused, &back);
            return Reply::Questions {
                room,
                status: StatusCode::OK,
                body: page::questions_page(room.templates.as_deref(), &page),
                // An earlier "yes" goes with this "no": the questions come again.
                cookie: (held == Some(Kind::Answered)).then(|| room.clear_cookie(visit.secure)),
                location: None,
                outcome: Outcome::Waiting,
            };
        }
        // Every answer yes: on to the puzzle or the ticket, where the visitor was going.
        Reply::Questions {
            room,
            status: StatusCode::SEE_OTHER,
            body: bytes::Bytes::new(),
            cookie: (!has_place).then(|| room.answered_cookie(now_s, visit.secure)),
            location: Some(HeaderValue::from_str(&back).unwrap_or(HeaderValue::from_static("/"))),
            outcome: Outcome::Waiting,
        }
    }
}

/// One field of a form body, decoded (`+` is a space); `None` if absent or given twice.
pub(super) fn field(body: &str, name: &str) -> Option<String> {
    let mut found = body
        .split('&')
        .filter_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name));
    let (_, value) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(percent_decode(&value.replace('+', " ")))
}

/// The answers `q1..=qN` (`true` for yes, in question order), each `yes` or `no` exactly
/// once, and no field the form does not have.
fn read_answers(body: &str, questions: usize) -> Result<Vec<bool>, FormError> {
    let mut answers: Vec<Option<bool>> = vec![None; questions];
    let mut seen = [false; 2];
    for kv in body.split('&').filter(|kv| !kv.is_empty()) {
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        match key {
            "form" | "back" => {
                let i = usize::from(key == "back");
                if seen[i] {
                    return Err(FormError::Incomplete);
                }
                seen[i] = true;
            }
            _ => {
                let slot = key
                    .strip_prefix('q')
                    .filter(|n| !n.starts_with('0'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| answers.get_mut(i));
                let (Some(slot), Some(yes)) = (
                    slot,
                    match value {
                        "yes" => Some(true),
                        "no" => Some(false),
                        _ => None,
                    },
                ) else {
                    return Err(FormError::Incomplete);
                };
                if slot.replace(yes).is_some() {
                    return Err(FormError::Incomplete);
                }
            }
        }
    }
    answers
        .into_iter()
        .collect::<Option<Vec<bool>>>()
        .ok_or(FormError::Incomplete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(body: &str, n: usize) -> Option<Vec<bool>> {
        read_answers(body, n).ok()
    }

    #[test]
    fn only_a_complete_form_of_known_fields_counts() {
        assert_eq!(
            complete("form=x&back=%2F&q1=yes&q2=no", 2),
            Some(vec![true, false])
        );
        assert_eq!(complete("q2=yes&q1=yes", 2), Some(vec![true, true]));
        for bad in [
            "q1=yes",
            "q1=yes&q2=maybe",
            "q1=yes&q2=yes&q3=yes",
            "q1=yes&q1=no&q2=yes",
            "q1=yes&q2=yes&admin=1",
            "q01=yes&q2=yes",
            "q0=yes&q1=yes&q2=yes",
            "form=a&form=b&q1=yes&q2=yes",
            "",
        ] {
            assert_eq!(complete(bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn fields_are_decoded_and_a_repeat_is_no_value() {
        assert_eq!(
            field("back=%2Ftermine%3Fx%3D1&q1=yes", "back").unwrap(),
            "/termine?x=1"
        );
        assert_eq!(field("a=b+c", "a").unwrap(), "b c");
        assert_eq!(field("back=/a&back=/b", "back"), None);
        assert_eq!(field("q1=yes", "back"), None);
    }
}
