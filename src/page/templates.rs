//! The template engine (minijinja) of every page but the waiting page: the built-in notice,
//! form and questions pages (`assets/pages/`), and the operator's own from a room's
//! `template_dir`, with their trial render at load. Must not word anything: the pages'
//! variables come from `page`. (The waiting page, on every arrival's path, is written straight
//! out: see `page::waiting`.)
//!
//! A template that does not parse, or that fails on any state the page can be in, is a config
//! error at load and at reload. Should one still fail at run time, the built-in page is served
//! and the error logged: a visitor never sees a broken page.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::config::{Config, ConfigError, Problem, RoomConfig};
use crate::locale::{Lang, Locale};
use crate::page::{
    self, DoorsView, EtaView, NoticePage, OpeningView, PuzzleView, QuestionsPage, RoomStateName,
    Said, SupplyView, View, WaitingPage,
};
use crate::queue::supply::Chance;

/// The file names looked for in `template_dir`; either may be left out.
pub const WAITING: &str = "waiting.html";
pub const NOTICE: &str = "notice.html";
/// The eligibility form and the answer to a "no" (`questions.html`, with `kind`).
pub const QUESTIONS: &str = "questions.html";
/// The one-field pages: place code, invitation code, the answer to the e-mail field
/// (`form.html`, with `kind`).
pub const FORM: &str = "form.html";

/// A template file is this size at most: a page must stay light on a slow phone.
const MAX_TEMPLATE_BYTES: u64 = 64 * 1024;

/// A room's own templates.
pub struct Templates {
    dir: PathBuf,
    env: Environment<'static>,
    waiting: bool,
    notice: bool,
    questions: bool,
    form: bool,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.dir)
            .field("waiting", &self.waiting)
            .field("notice", &self.notice)
            .field("questions", &self.questions)
            .field("form", &self.form)
            .finish()
    }
}

/// Why a template directory cannot be used; the text names the file and the line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

impl Templates {
    /// Reads and compiles `waiting.html` and `notice.html` from `dir`; `room` (without
    /// templates) is used to render each one for every state in both languages, so a template
    /// that would fail for a visitor fails here instead.
    pub fn load(dir: &Path, room: &RoomConfig) -> Result<Templates, TemplateError> {
        let meta = std::fs::metadata(dir)
            .map_err(|e| TemplateError(format!("cannot read {}: {e}", dir.display())))?;
        if !meta.is_dir() {
            return Err(TemplateError(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
        let mut env = engine();
        let mut found = [false; 4];
        for (i, name) in [WAITING, NOTICE, QUESTIONS, FORM].into_iter().enumerate() {
            let path = dir.join(name);
            let source = match std::fs::metadata(&path) {
                Ok(m) if m.len() > MAX_TEMPLATE_BYTES => {
                    return Err(TemplateError(format!(
                        "{} is {} bytes; keep a page template under {MAX_TEMPLATE_BYTES}",
                        path.display(),
                        m.len()
                    )))
                }
                Ok(_) => std::fs::read_to_string(&path)
                    .map_err(|e| TemplateError(format!("cannot read {}: {e}", path.display())))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(TemplateError(format!(
                        "cannot read {}: {e}",
                        path.display()
                    )))
                }
            };
            env.add_template_owned(name, source)
                .map_err(|e| TemplateError(describe(&path, &e)))?;
            found[i] = true;
        }
        if found == [false; 4] {
            return Err(TemplateError(format!(
                "{} has none of {WAITING}, {NOTICE}, {QUESTIONS} and {FORM}",
                dir.display()
            )));
        }
        let templates = Templates {
            dir: dir.to_path_buf(),
            env,
            waiting: found[0],
            notice: found[1],
            questions: found[2],
            form: found[3],
        };
        templates.trial(room)?;
        Ok(templates)
    }

    /// Renders every page the room can show, in both languages, with sample figures.
    fn trial(&self, room: &RoomConfig) -> Result<(), TemplateError> {
        let langs: Vec<Lang> = room.locales.menu().map(Locale::lang).collect();
        for lang in langs {
            for view in sample_views(room, lang) {
                let page = WaitingPage::new(room, lang, &view, 1_795_392_000, "/termine?x=1");
                if self.waiting {
                    self.render(WAITING, &page)?;
                }
            }
            if self.notice {
                for page in page::sample_notices(room, lang) {
                    self.render(NOTICE, &page)?;
                }
            }
            if self.questions {
                for page in page::sample_questions(room, lang) {
                    self.render(QUESTIONS, &page)?;
                }
            }
            if self.form {
                for page in page::sample_forms(room, lang) {
                    self.render(FORM, &page)?;
                }
            }
        }
        Ok(())
    }

    fn render<S: Serialize>(&self, name: &str, ctx: &S) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError(describe(&self.dir.join(name), &e)))?;
        template
            .render(ctx)
            .map_err(|e| TemplateError(describe(&self.dir.join(name), &e)))
    }

    /// The operator's waiting page, or `None` (built-in page) without one or on an error.
    pub fn render_waiting(&self, page: &WaitingPage) -> Option<String> {
        self.waiting.then(|| self.logged(WAITING, page)).flatten()
    }

    /// The operator's notice page, or `None` (built-in page).
    pub fn render_notice(&self, page: &NoticePage) -> Option<String> {
        self.notice.then(|| self.logged(NOTICE, page)).flatten()
    }

    /// The operator's eligibility form and "no" page, or `None` (built-in page).
    pub fn render_questions(&self, page: &QuestionsPage) -> Option<String> {
        self.questions
            .then(|| self.logged(QUESTIONS, page))
            .flatten()
    }

    /// The operator's one-field page, or `None` (built-in page).
    pub fn render_form(&self, page: &page::FormPage) -> Option<String> {
        self.form.then(|| self.logged(FORM, page)).flatten()
    }

    fn logged<S: Serialize>(&self, name: &str, ctx: &S) -> Option<String> {
        match self.render(name, ctx) {
            Ok(html) => Some(html),
            Err(e) => {
                tracing::error!(error = %e, "template failed; the built-in page is served");
                None
            }
        }
    }
}

/// Every room's own templates, by room id. Each is tried for every state a page can be in,
/// so a template that would fail for a visitor fails here, as a config error naming
/// `rooms[N].template_dir`: `check`, the start and every reload load them through this, and a
/// broken template never gets as far as a running room.
pub fn load_rooms(config: &Config) -> Result<HashMap<String, Arc<Templates>>, ConfigError> {
    let mut loaded = HashMap::new();
    let mut problems = Vec::new();
    for (i, room) in config.rooms.iter().enumerate() {
        let Some(dir) = &room.template_dir else {
            continue;
        };
        match Templates::load(dir, room) {
            Ok(t) => {
                loaded.insert(room.id.clone(), Arc::new(t));
            }
            Err(e) => problems.push(Problem {
                key: format!("rooms[{i}].template_dir"),
                message: e.to_string(),
                hint: "fix the template (minijinja syntax, variables as in docs/visitors.md, \
                       \"Your own page\"), or leave template_dir out for the built-in page"
                    .into(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(ConfigError::Invalid {
            path: config.path.clone(),
            problems,
        })
    }
}

/// "file, line N: what" from a minijinja error and its causes.
fn describe(path: &Path, e: &minijinja::Error) -> String {
    let mut out = path.display().to_string();
    if let Some(line) = e.line() {
        out.push_str(&format!(", line {line}"));
    }
    out.push_str(": ");
    out.push_str(&e.kind().to_string());
    if let Some(detail) = e.detail() {
        out.push_str(&format!(" ({detail})"));
    }
    out
}

/// The engine as both the built-in and the operator's pages use it.
fn engine() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable is an error at the trial render, not an empty spot on the page.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // `.html` templates escape every variable unless marked `|safe`, as the pages always have
    // (`page::escape`: a path keeps its slashes).
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if !value.is_safe() && state.auto_escape() == minijinja::AutoEscape::Html => {
            Ok(write!(out, "{}", page::escape(text))?)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env
}

/// The built-in pages, compiled once per process.
const BUILTIN: &[(&str, &str)] = &[
    ("head.html", include_str!("../../assets/pages/head.html")),
    ("menu.html", include_str!("../../assets/pages/menu.html")),
    (NOTICE, include_str!("../../assets/pages/notice.html")),
    (FORM, include_str!("../../assets/pages/form.html")),
    (QUESTIONS, include_str!("../../assets/pages/questions.html")),
];

fn builtin() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = engine();
        for (name, source) in BUILTIN {
            // A test renders each one: a built-in page that does not compile never ships.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(error = %e, template = name, "built-in page does not compile");
            }
        }
        env
    })
}

/// A built-in page (`notice.html`, `form.html`, `questions.html`) for `ctx`. Their tests
/// render every state; should one still fail, the visitor gets the heading alone.
pub(crate) fn render_builtin<S: Serialize>(name: &str, ctx: &S, heading: &str) -> String {
    let rendered = builtin().get_template(name).and_then(|t| t.render(ctx));
    match rendered {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, template = name, "built-in page failed");
            format!(
                "<!doctype html>\n<title>{0}</title><h1>{0}</h1>",
                page::escape(heading)
            )
        }
    }
}

/// One view per state a visitor can see, with figures in every field that state fills; the
/// first is a visitor waiting in an open room, with the operator's message. (Also the micro
/// benchmarks' input.)
pub fn sample_views(room: &RoomConfig, lang: Lang) -> Vec<View<'_>> {
    let w = room.locales.get(lang);
    let base = View {
        room: &room.id,
        state: RoomStateName::Open,
        position: Some(1234),
        ahead: Some(1233),
        eta: EtaView {
            seconds: Some(1500),
            low_seconds: Some(1200),
            high_seconds: Some(1800),
            text: Some(page::eta_range_words(w, 1200, 1800)),
        },
        admitted: false,
        admit_per_minute: 60.0,
        refresh_after_seconds: 30,
        opening: OpeningView::default(),
        puzzle: PuzzleView::default(),
        message: Some("Sample message".into()),
        supply: SupplyView::default(),
        doors: DoorsView {
            place_code: Some("7K3M-QX2P-9D4R-TW8B".into()),
            ..DoorsView::default()
        },
        said: Said::default(),
    };
    let placeless = View {
        position: None,
        ahead: None,
        ..base.clone()
    };
    let mut views = vec![
        base.clone(),
        View {
            position: Some(1),
            ahead: Some(0),
            message: None,
            ..base.clone()
        },
        View {
            state: RoomStateName::Paused,
            ..base.clone()
        },
        View {
            state: RoomStateName::Paused,
            ..placeless.clone()
        },
        View {
            state: RoomStateName::Held,
            ..base.clone()
        },
        View {
            state: RoomStateName::Closed,
            ..placeless.clone()
        },
        View {
            puzzle: PuzzleView {
                challenge: Some("sample-challenge".into()),
                proof_of_work_bits: Some(16),
            },
            ..placeless.clone()
        },
    ];
    if room.supply.is_some() {
        views.extend(supply_samples(&base, w));
    }
    if room.schedule.is_some() {
        views.extend(schedule_samples(&placeless, w));
    }
    // As the gateway fills them: no estimate where nobody moves, the opening's time where
    // there is one, and every page once with and once without the operator's message.
    let opens_at = room
        .schedule
        .as_ref()
        .map(|s| crate::queue::schedule::format_time(s.window.opens_at, s.offset_minutes));
    let mut all = Vec::with_capacity(views.len() * 2);
    for mut view in views {
        if view.state != RoomStateName::Open || view.puzzle.challenge.is_some() {
            view.set_eta(w, None);
        }
        view.opening.opens_at = opens_at.clone();
        view.say(w, room, 1_795_392_000);
        all.push(View {
            message: None,
            ..view.clone()
        });
        all.push(View {
            message: Some("Sample message".into()),
            ..view
        });
    }
    all
}

/// A room that counts its appointments: each chance, and sold out with and without a place.
fn supply_samples<'a>(base: &View<'a>, w: &Locale) -> Vec<View<'a>> {
    let left = SupplyView {
        supply_remaining: Some(1200),
        supply_text: Some(page::supply_words(w, 1200)),
        ..SupplyView::default()
    };
    let mut views: Vec<View> = [
        None,
        Some(Chance::Likely),
        Some(Chance::Uncertain),
        Some(Chance::Unlikely),
    ]
    .into_iter()
    .map(|chance| View {
        supply: SupplyView {
            chance,
            chance_text: Some(page::chance_words(w, chance)),
            ..left.clone()
        },
        ..base.clone()
    })
    .collect();
    let sold_out = View {
        state: RoomStateName::SoldOut,
        supply: SupplyView {
            supply_remaining: Some(0),
            supply_text: Some(page::supply_words(w, 0)),
            next_release: Some("2021-03-28T08:00:00+01:00".into()),
            next_release_in_seconds: Some(7200),
            next_release_text: Some(page::eta_words(w, 7200)),
            ..SupplyView::default()
        },
        ..base.clone()
    };
    views.push(sold_out.clone());
    views.push(View {
        position: None,
        ahead: None,
        ..sold_out
    });
    views
}

/// A room with a schedule: before the opening, its pre-queue gathering, and drawn.
fn schedule_samples<'a>(placeless: &View<'a>, w: &Locale) -> Vec<View<'a>> {
    let opening = |secs| OpeningView {
        opens_in_seconds: Some(secs),
        opens_in_text: Some(page::eta_words(w, secs)),
        ..OpeningView::default()
    };
    vec![
        View {
            state: RoomStateName::BeforeOpen,
            opening: opening(3600),
            ..placeless.clone()
        },
        View {
            state: RoomStateName::Prequeue,
            opening: OpeningView {
                prequeue_size: Some(321),
                ..opening(600)
            },
            ..placeless.clone()
        },
        View {
            state: RoomStateName::Prequeue,
            ..placeless.clone()
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::access::ticket::Secret;
    use crate::config::KeySource;

    /// Every built-in page compiles and renders every sample in every shipped language, with
    /// the page's `lang` and `dir` and its menu.
    #[test]
    fn the_built_in_pages_render_every_sample_in_every_language() {
        let text = "[[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:9\"\n\
                    admit_per_minute = 60\n[[rooms.eligibility]]\nde = \"Wohnen Sie hier?\"\n\
                    en = \"Do you live here?\"\n";
        let config = Config::from_toml(
            text,
            Path::new("test.toml"),
            KeySource::Given(vec![Secret::from_bytes([7u8; 32])]),
        )
        .unwrap();
        let room = &config.rooms[0];
        let env = builtin();
        for (name, source) in BUILTIN {
            if let Err(e) = engine().add_template(name, source) {
                panic!("{name}: {e:?}\n{source}");
            }
            if let Err(e) = env.get_template(name) {
                panic!("{name}: {e:?}\n{source}");
            }
        }
        for l in room.locales.menu() {
            let html = format!("<html lang=\"{}\" dir=\"{}\">", l.lang(), l.dir());
            let mut pages = Vec::new();
            for page in page::sample_notices(room, l.lang()) {
                pages.push(env.get_template(NOTICE).unwrap().render(&page));
            }
            for page in page::sample_forms(room, l.lang()) {
                pages.push(env.get_template(FORM).unwrap().render(&page));
            }
            for page in page::sample_questions(room, l.lang()) {
                pages.push(env.get_template(QUESTIONS).unwrap().render(&page));
            }
            for page in pages {
                let page = page.unwrap();
                assert!(page.contains(&html), "{page}");
                assert!(page.contains("<button name=\"to\" value=\"tr\" lang=\"tr\" dir=\"ltr\""));
                assert!(!page.contains("&#x2f;"), "paths keep their slashes: {page}");
            }
        }
    }
}
