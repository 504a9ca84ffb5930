//! Messages made ready to say without walking Fluent's resolver each time: at load, every
//! message whose pattern uses only text, variables and selections on a variable (all that the
//! shipped files use) is turned into parts that a request only has to put together. Must say
//! exactly what Fluent says (the tests compare both for every shipped message); a message
//! with anything else (terms, references, functions) is left to Fluent.
//!
//! Why: a new arrival's page says about a dozen sentences with numbers in them ("12,345 people
//! ahead", "about 3 hours 20 minutes"), and Fluent's resolver (its arguments, the plural rules
//! behind a lock, numbers written through floating point) cost more than the rest of the page.

use fluent_syntax::ast;
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use unic_langid::LanguageIdentifier;

use super::numbers::Digits;
use super::Arg;

/// Fluent writes a number it is given as itself only up to here; above, it is left to Fluent.
const LARGEST_WRITTEN: u64 = 1_000_000_000_000_000;

/// One message, ready.
#[derive(Debug)]
pub(super) enum Ready {
    /// Nothing to fill in.
    Plain(Box<str>),
    Parts(Vec<Part>),
}

#[derive(Debug)]
pub(super) enum Part {
    Text(Box<str>),
    /// A variable; `isolate` puts it between Unicode isolates (right-to-left languages).
    Var {
        name: Box<str>,
        isolate: bool,
    },
    Select {
        on: Box<str>,
        isolate: bool,
        variants: Vec<(Choice, Vec<Part>)>,
        default: usize,
    },
}

/// What a variant is chosen by.
#[derive(Debug)]
pub(super) enum Choice {
    /// `[0]`, `[7]`: this number exactly.
    Number(u64),
    /// `[one]`, `[few]`: numbers of this plural category (and the word itself).
    Category(Category),
    /// Any other word: that word.
    Word(Box<str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Category {
    fn of(name: &str) -> Option<Category> {
        Some(match name {
            "zero" => Category::Zero,
            "one" => Category::One,
            "two" => Category::Two,
            "few" => Category::Few,
            "many" => Category::Many,
            "other" => Category::Other,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Category::Zero => "zero",
            Category::One => "one",
            Category::Two => "two",
            Category::Few => "few",
            Category::Many => "many",
            Category::Other => "other",
        }
    }

    fn from_rules(c: PluralCategory) -> Category {
        match c {
            PluralCategory::ZERO => Category::Zero,
            PluralCategory::ONE => Category::One,
            PluralCategory::TWO => Category::Two,
            PluralCategory::FEW => Category::Few,
            PluralCategory::MANY => Category::Many,
            PluralCategory::OTHER => Category::Other,
        }
    }
}

/// What saying needs of the language: its digits, its plural rules, whether it isolates.
pub(super) struct Speech {
    digits: Digits,
    plurals: Option<PluralRules>,
    isolating: bool,
}

impl std::fmt::Debug for Speech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speech")
            .field("digits", &self.digits)
            .field("plurals", &self.plurals.is_some())
            .field("isolating", &self.isolating)
            .finish()
    }
}

impl Speech {
    pub(super) fn new(id: &LanguageIdentifier, primary: &str, isolating: bool) -> Speech {
        Speech {
            digits: Digits::of(primary),
            plurals: PluralRules::create(id.clone(), PluralRuleType::CARDINAL).ok(),
            isolating,
        }
    }

    fn category(&self, n: u64) -> Option<Category> {
        let rules = self.plurals.as_ref()?;
        rules.select(n).ok().map(Category::from_rules)
    }
}

impl Ready {
    /// `None` when Fluent would not say it this way (a variable not given, a number too large
    /// to write as itself): the caller asks Fluent.
    pub(super) fn say(&self, args: &[(&str, Arg)], speech: &Speech) -> Option<String> {
        match self {
            Ready::Plain(text) => Some(text.to_string()),
            Ready::Parts(parts) => {
                let mut out = String::with_capacity(96);
                write_parts(&mut out, parts, args, speech)?;
                Some(out)
            }
        }
    }

    /// The variables it is given, in the order they first appear.
    #[cfg(test)]
    pub(super) fn variables(&self) -> Vec<&str> {
        fn walk<'a>(parts: &'a [Part], out: &mut Vec<&'a str>) {
            for part in parts {
                let name = match part {
                    Part::Text(_) => continue,
                    Part::Var { name, .. } => name,
                    Part::Select { on, variants, .. } => {
                        if !out.contains(&&**on) {
                            out.push(on);
                        }
                        for (_, parts) in variants {
                            walk(parts, out);
                        }
                        continue;
                    }
                };
                if !out.contains(&&**name) {
                    out.push(name);
                }
            }
        }
        let mut out = Vec::new();
        if let Ready::Parts(parts) = self {
            walk(parts, &mut out);
        }
        out
    }

    /// From a message's pattern; `None` when it uses what is left to Fluent.
    pub(super) fn of(pattern: &ast::Pattern<&str>, speech: &Speech) -> Option<Ready> {
        let parts = parts_of(pattern, speech)?;
        match parts.as_slice() {
            [] => Some(Ready::Plain("".into())),
            [Part::Text(text)] => Some(Ready::Plain(text.clone())),
            _ => Some(Ready::Parts(parts)),
        }
    }
}

fn parts_of(pattern: &ast::Pattern<&str>, speech: &Speech) -> Option<Vec<Part>> {
    // Fluent isolates a placeable only among other elements.
    let isolate = speech.isolating && pattern.elements.len() > 1;
    let mut parts = Vec::with_capacity(pattern.elements.len());
    for element in &pattern.elements {
        parts.push(match element {
            ast::PatternElement::TextElement { value } => Part::Text((*value).into()),
            ast::PatternElement::Placeable {
                expression: ast::Expression::Inline(ast::InlineExpression::VariableReference { id }),
            } => Part::Var {
                name: id.name.into(),
                isolate,
            },
            ast::PatternElement::Placeable {
                expression:
                    ast::Expression::Select {
                        selector: ast::InlineExpression::VariableReference { id },
                        variants,
                    },
            } => {
                let mut ready = Vec::with_capacity(variants.len());
                let mut default = None;
                for (i, v) in variants.iter().enumerate() {
                    let key = match v.key {
                        ast::VariantKey::Identifier { name } => match Category::of(name) {
                            Some(c) => Choice::Category(c),
                            None => Choice::Word(name.into()),
                        },
                        // Only whole numbers: a `[1.5]` is left to Fluent.
                        ast::VariantKey::NumberLiteral { value } => Choice::Number(value.parse().ok()?),
                    };
                    if v.default {
                        default = Some(i);
                    }
                    ready.push((key, parts_of(&v.value, speech)?));
                }
                Part::Select {
                    on: id.name.into(),
                    isolate,
                    variants: ready,
                    default: default?,
                }
            }
            ast::PatternElement::Placeable { .. } => return None,
        });
    }
    Some(parts)
}

fn write_parts(
    out: &mut String,
    parts: &[Part],
    args: &[(&str, Arg)],
    speech: &Speech,
) -> Option<()> {
    let given = |name: &str| args.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Var { name, isolate } => {
                if *isolate {
                    out.push('\u{2068}');
                }
                match given(name)? {
                    Arg::Num(n) if n > LARGEST_WRITTEN => return None,
                    Arg::Num(n) => speech.digits.write(out, n),
                    Arg::Text(t) => out.push_str(t),
                }
                if *isolate {
                    out.push('\u{2069}');
                }
            }
            Part::Select {
                on,
                isolate,
                variants,
                default,
            } => {
                let value = given(on)?;
                let chosen = choose(variants, value, speech)?.unwrap_or(*default);
                if *isolate {
                    out.push('\u{2068}');
                }
                write_parts(out, &variants[chosen].1, args, speech)?;
                if *isolate {
                    out.push('\u{2069}');
                }
            }
        }
    }
    Some(())
}

/// The first variant whose key matches, as Fluent compares them; `Some(None)` for the default.
fn choose(variants: &[(Choice, Vec<Part>)], value: Arg, speech: &Speech) -> Option<Option<usize>> {
    let mut category = None;
    for (i, (key, _)) in variants.iter().enumerate() {
        let matches = match (key, value) {
            (Choice::Number(k), Arg::Num(n)) => *k == n,
            (Choice::Category(c), Arg::Num(n)) => {
                if category.is_none() {
                    // Without plural rules Fluent would not know either: ask it.
                    category = Some(speech.category(n)?);
                }
                category == Some(*c)
            }
            (Choice::Category(c), Arg::Text(t)) => c.name() == t,
            (Choice::Word(w), Arg::Text(t)) => **w == *t,
            (Choice::Number(_), Arg::Text(_)) | (Choice::Word(_), Arg::Num(_)) => false,
        };
        if matches {
            return Some(Some(i));
        }
    }
    Some(None)
}
