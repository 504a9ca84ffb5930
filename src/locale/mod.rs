//! Every citizen's language: owns the Fluent messages (the shipped `.ftl` files built into the
//! binary and the operator's from `locales_dir`, parsed once at load), the language tag, the
//! choice of language from `Accept-Language`, and numbers in each language's digits. Must not
//! build a page: `page` asks for words by message id and puts them together.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Serialize, Serializer};

mod load;
mod numbers;
mod ready;
mod shipped;

pub use load::{load, read_dir, LocaleDir, LocaleProblem, LocaleSettings};
pub use shipped::SHIPPED;

/// A language tag as the visitor's browser and the operator write it: `de`, `de-x-ls`, `tr`,
/// `pt-BR`. Small and `Copy`, so that it travels with a request at no cost; its letters are
/// kept in the canonical case (language lower, region upper).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang {
    len: u8,
    tag: [u8; Lang::MAX],
}

impl Lang {
    /// Longer tags are not kept (no language needs more: `sr-Latn-BA` is 10).
    const MAX: usize = 23;

    /// German: the default of a room that names no `language`.
    pub const DE: Lang = Lang::known("de");
    /// English: the reference all other languages are checked against.
    pub const EN: Lang = Lang::known("en");

    /// A canonical tag written in the code.
    const fn known(tag: &str) -> Lang {
        let bytes = tag.as_bytes();
        let mut out = [0u8; Lang::MAX];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        Lang {
            len: bytes.len() as u8,
            tag: out,
        }
    }

    /// `None` for anything that is not a plain BCP 47 tag of letters, digits and hyphens.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim();
        if s.is_empty() || s.len() > Lang::MAX {
            return None;
        }
        let mut tag = [0u8; Lang::MAX];
        let mut len = 0;
        let mut private = false;
        for (i, part) in s.split(['-', '_']).enumerate() {
            let ok = !part.is_empty()
                && part.len() <= 8
                && part.bytes().all(|b| b.is_ascii_alphanumeric())
                && (i > 0
                    || (2..=3).contains(&part.len())
                        && part.bytes().all(|b| b.is_ascii_alphabetic()));
            if !ok {
                return None;
            }
            if i > 0 {
                tag[len] = b'-';
                len += 1;
            }
            for (j, b) in part.bytes().enumerate() {
                tag[len] = match (i, part.len()) {
                    _ if private || i == 0 => b.to_ascii_lowercase(),
                    (_, 2) if part.bytes().all(|b| b.is_ascii_alphabetic()) => {
                        b.to_ascii_uppercase()
                    }
                    (_, 4) if j == 0 => b.to_ascii_uppercase(),
                    _ => b.to_ascii_lowercase(),
                };
                len += 1;
            }
            private |= part.eq_ignore_ascii_case("x");
        }
        Some(Lang {
            len: len as u8,
            tag,
        })
    }

    pub fn code(&self) -> &str {
        // Only ASCII is ever written into `tag`.
        std::str::from_utf8(&self.tag[..self.len as usize]).unwrap_or("und")
    }

    /// The language without region or private use: `de` of `de-x-ls`.
    pub fn primary(&self) -> &str {
        self.code().split('-').next().unwrap_or("")
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A value a message is given: a number (plurals choose by it, and it is written in the
/// language's digits) or words.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Num(u64),
    Text(&'a str),
}

/// One language of a room: its messages (the shipped ones with the operator's over them),
/// its own name and its writing direction.
pub struct Locale {
    lang: Lang,
    name: String,
    rtl: bool,
    bundle: FluentBundle<Arc<FluentResource>>,
    /// The messages made ready at load (`ready`): what a request says without Fluent's
    /// resolver, word for word what Fluent would say. Keyed by our own message ids, so the
    /// quick hash (no defence against chosen keys) is safe.
    ready: rustc_hash::FxHashMap<Box<str>, ready::Ready>,
    speech: ready::Speech,
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locale")
            .field("lang", &self.lang)
            .field("name", &self.name)
            .field("rtl", &self.rtl)
            .finish()
    }
}

impl Locale {
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The language's name in itself: "Türkçe", "العربية".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `rtl` for Arabic, Persian and the other right-to-left scripts, else `ltr`.
    pub fn dir(&self) -> &'static str {
        if self.rtl {
            "rtl"
        } else {
            "ltr"
        }
    }

    pub fn is_rtl(&self) -> bool {
        self.rtl
    }

    /// A message without variables. Loading checked that every message exists; should one
    /// still be missing, its id is shown rather than nothing.
    pub fn text(&self, id: &str) -> Cow<'_, str> {
        if let Some(ready::Ready::Plain(text)) = self.ready.get(id) {
            return Cow::Borrowed(text);
        }
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return Cow::Owned(id.to_string());
        };
        let mut errors = Vec::new();
        self.bundle.format_pattern(pattern, None, &mut errors)
    }

    /// A message with its variables.
    pub fn say(&self, id: &str, args: &[(&str, Arg)]) -> String {
        if let Some(said) = self
            .ready
            .get(id)
            .and_then(|ready| ready.say(args, &self.speech))
        {
            return said;
        }
        self.format(id, args)
    }

    fn format(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fluent = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            match *value {
                Arg::Num(n) => fluent.set(*name, FluentValue::from(n)),
                Arg::Text(t) => fluent.set(*name, FluentValue::from(t)),
            }
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent), &mut errors)
            .into_owned()
    }

    /// A whole number as the language writes it: its digits and its thousands separator
    /// ("1.234", "1,234", "١٬٢٣٤").
    pub fn number(&self, n: u64) -> String {
        numbers::Digits::of(self.lang.primary()).format(n)
    }

    /// Digits in text (a time, a year) put into the language's own digits, without grouping.
    pub fn digits(&self, text: &str) -> String {
        numbers::Digits::of(self.lang.primary()).convert(text)
    }

    /// Text without the Unicode isolates Fluent puts around variables in right-to-left
    /// languages: for an e-mail subject and an HTML attribute, which show them as they are.
    pub fn plain(text: &str) -> String {
        text.chars()
            .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
            .collect()
    }
}

/// The languages a room offers, in the order of its menu, and its default.
#[derive(Debug, Clone)]
pub struct Locales {
    offered: Vec<Arc<Locale>>,
    default: usize,
}

impl Locales {
    /// `lang` if the room offers it, else the room's default.
    pub fn get(&self, lang: Lang) -> &Locale {
        self.find(lang).unwrap_or(&self.offered[self.default])
    }

    fn find(&self, lang: Lang) -> Option<&Locale> {
        self.offered
            .iter()
            .find(|l| l.lang == lang)
            .map(|l| l.as_ref())
    }

    pub fn offers(&self, lang: Lang) -> bool {
        self.find(lang).is_some()
    }

    pub fn default_lang(&self) -> Lang {
        self.offered[self.default].lang
    }

    /// The languages of the menu, in the room's order.
    pub fn menu(&self) -> impl Iterator<Item = &Locale> {
        self.offered.iter().map(|l| l.as_ref())
    }

    /// The offered language the visitor's `Accept-Language` prefers, by its q-values: a tag
    /// the room offers as asked for, else one of the same language (`de-AT` → `de`, `pt` →
    /// `pt-BR`), else the room's default.
    pub fn pick(&self, accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return self.default_lang();
        };
        let mut best: Option<(Lang, f32)> = None;
        // Bounded: a hostile header of megabytes is not read past its first entries.
        for entry in header.split(',').take(16) {
            let mut parts = entry.trim().split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(found) = self.matching(tag) else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((found, q));
            }
        }
        best.map_or_else(|| self.default_lang(), |(l, _)| l)
    }

    /// The offered language for one tag of `Accept-Language`.
    fn matching(&self, tag: &str) -> Option<Lang> {
        let asked = Lang::parse(tag)?;
        if self.offers(asked) {
            return Some(asked);
        }
        // Same language: the first offered in the menu, plain before private use (`de`
        // before `de-x-ls`: a browser never asks for Leichte Sprache by itself).
        let same = |l: &&Arc<Locale>| l.lang.primary() == asked.primary();
        self.offered
            .iter()
            .filter(same)
            .find(|l| !l.lang.code().contains("-x-"))
            .or_else(|| self.offered.iter().find(same))
            .map(|l| l.lang)
    }
}

#[cfg(test)]
mod tests;
