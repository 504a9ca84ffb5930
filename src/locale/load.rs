//! Reads and checks the messages once, at load (start, `check`, every reload): the shipped
//! files, then the operator's `locales_dir` over them. A file that does not parse, an id the
//! pages never ask for, a variable a message is not given, a language that lacks messages:
//! each a problem naming the file and the line. Must not format anything for a visitor.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use unic_langid::{CharacterDirection, LanguageIdentifier};

use super::{numbers, ready, Lang, Locale, Locales, SHIPPED};

/// Where a problem lies, for the config's key path: the room's or the global `locales_dir`,
/// its `languages` or its `language`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocaleProblem {
    pub key: &'static str,
    pub message: String,
    pub hint: String,
}

impl LocaleProblem {
    fn new(key: &'static str, message: String, hint: &str) -> LocaleProblem {
        LocaleProblem {
            key,
            message,
            hint: hint.to_string(),
        }
    }
}

/// The messages of one `locales_dir`, read and checked, by language.
#[derive(Debug, Clone, Default)]
pub struct LocaleDir {
    by_lang: BTreeMap<String, Vec<Arc<FluentResource>>>,
}

/// What a room says about its languages.
#[derive(Debug, Clone, Copy)]
pub struct LocaleSettings<'a> {
    /// `language`: the default.
    pub language: Lang,
    /// `languages`: the menu, in order; `None` offers every language there is.
    pub languages: Option<&'a [Lang]>,
}

const FTL_HINT: &str = "fix the file (Fluent syntax: https://projectfluent.org/fluent/guide/), \
                        or remove it to use the shipped messages";

/// Each message id the pages use, with the variables it is given: read from the English file.
fn reference() -> &'static HashMap<&'static str, BTreeSet<&'static str>> {
    static REFERENCE: OnceLock<HashMap<&'static str, BTreeSet<&'static str>>> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let source = SHIPPED
            .iter()
            .find(|(tag, _)| *tag == "en")
            .map_or("", |(_, s)| s);
        let resource = match fluent_syntax::parser::parse(source) {
            Ok(r) => r,
            Err((r, _)) => r,
        };
        resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                ast::Entry::Message(m) => Some((m.id.name, variables_of(m))),
                _ => None,
            })
            .collect()
    })
}

/// The shipped files, parsed once per process.
fn shipped() -> &'static [(Lang, Arc<FluentResource>)] {
    static PARSED: OnceLock<Vec<(Lang, Arc<FluentResource>)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        SHIPPED
            .iter()
            .filter_map(|(tag, source)| {
                let resource = match FluentResource::try_new(source.to_string()) {
                    Ok(r) => r,
                    // A test keeps the shipped files whole; should one break, what parsed
                    // is used rather than nothing.
                    Err((r, _)) => r,
                };
                Some((Lang::parse(tag)?, Arc::new(resource)))
            })
            .collect()
    })
}

/// The variables a message uses, in its value and its variants.
pub(super) fn variables_of<'s>(m: &ast::Message<&'s str>) -> BTreeSet<&'s str> {
    let mut vars = BTreeSet::new();
    if let Some(p) = &m.value {
        pattern_vars(p, &mut vars);
    }
    vars
}

fn pattern_vars<'s>(p: &ast::Pattern<&'s str>, vars: &mut BTreeSet<&'s str>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars<'s>(e: &ast::Expression<&'s str>, vars: &mut BTreeSet<&'s str>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, vars),
    }
}

fn inline_vars<'s>(e: &ast::InlineExpression<&'s str>, vars: &mut BTreeSet<&'s str>) {
    match e {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name);
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_vars(a, vars);
            }
            for a in &arguments.named {
                inline_vars(&a.value, vars);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        // A term's own variables are its arguments', not the message's.
        ast::InlineExpression::TermReference { .. }
        | ast::InlineExpression::MessageReference { .. }
        | ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. } => {}
    }
}

/// The line (from 1) of byte `pos` in `source`; an error at the very end (an unclosed `{`)
/// is on the last line written, not on the empty one after it.
fn line_at(source: &str, pos: usize) -> usize {
    source.as_bytes()[..pos.min(source.trim_end().len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line a message `id` is defined on.
fn line_of(source: &str, id: &str) -> usize {
    source
        .lines()
        .position(|l| {
            l.strip_prefix(id)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

/// Reads `dir`: a folder per language tag (`tr/`, `pt-BR/`), each with `.ftl` files, read in
/// name order, a later file's message over an earlier one's. `key` names the setting in
/// the problems.
pub fn read_dir(dir: &Path, key: &'static str) -> Result<LocaleDir, Vec<LocaleProblem>> {
    let mut problems = Vec::new();
    let mut out = LocaleDir::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return Err(vec![LocaleProblem::new(
                key,
                format!("cannot read {}: {e}", dir.display()),
                "name a directory with one folder per language (e.g. tr/, pt-BR/), or leave \
                 locales_dir out",
            )])
        }
    };
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(lang) = Lang::parse(&name) else {
            problems.push(LocaleProblem::new(
                key,
                format!("{}: `{name}` is not a language tag", folder.display()),
                "name each folder after a language tag: tr, ar, pt-BR, de-x-ls",
            ));
            continue;
        };
        let resources = read_language(&folder, &mut problems, key);
        out.by_lang
            .entry(lang.code().to_string())
            .or_default()
            .extend(resources);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The `.ftl` files of one language folder, each checked against the reference.
fn read_language(
    folder: &Path,
    problems: &mut Vec<LocaleProblem>,
    key: &'static str,
) -> Vec<Arc<FluentResource>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|e| e.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "ftl"));
    files.sort();
    let mut resources = Vec::new();
    for file in files {
        let source = match std::fs::read_to_string(&file) {
            Ok(s) => s,
            Err(e) => {
                let message = format!("cannot read {}: {e}", file.display());
                problems.push(LocaleProblem::new(key, message, FTL_HINT));
                continue;
            }
        };
        let before = problems.len();
        check_file(&file, &source, problems, key);
        if problems.len() == before {
            if let Ok(resource) = FluentResource::try_new(source) {
                resources.push(Arc::new(resource));
            }
        }
    }
    resources
}

/// Syntax, ids and variables of one file.
fn check_file(file: &Path, source: &str, problems: &mut Vec<LocaleProblem>, key: &'static str) {
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(r) => r,
        Err((_, errors)) => {
            for e in errors {
                let message = format!(
                    "{}, line {}: {}",
                    file.display(),
                    line_at(source, e.pos.start),
                    e.kind
                );
                problems.push(LocaleProblem::new(key, message, FTL_HINT));
            }
            return;
        }
    };
    let known = reference();
    for entry in &resource.body {
        let ast::Entry::Message(m) = entry else {
            continue;
        };
        let at = || format!("{}, line {}", file.display(), line_of(source, m.id.name));
        let Some(given) = known.get(m.id.name) else {
            problems.push(LocaleProblem::new(
                key,
                format!("{}: unknown message id `{}`", at(), m.id.name),
                "use the ids of the shipped files (locales/en/wartesaal.ftl); a misspelt id \
                 would never be shown",
            ));
            continue;
        };
        for var in variables_of(m).difference(given) {
            let offered = if given.is_empty() {
                "none".to_string()
            } else {
                given
                    .iter()
                    .map(|v| format!("${v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            problems.push(LocaleProblem::new(
                key,
                format!(
                    "{}: message `{}` uses ${var}, which it is not given (it is given: {offered})",
                    at(),
                    m.id.name
                ),
                "use only the variables the English message uses",
            ));
        }
    }
}

/// The Fluent locale for a tag: without private use (`de` for `de-x-ls`), whose plural
/// rules and direction are the language's.
fn fluent_id(lang: Lang) -> LanguageIdentifier {
    let code = lang.code();
    let public = code.split("-x-").next().unwrap_or(code);
    LanguageIdentifier::from_str(public)
        .or_else(|_| LanguageIdentifier::from_str(lang.primary()))
        .unwrap_or_default()
}

/// One language's bundle: the shipped file, then each layer's files over it.
fn locale(lang: Lang, layers: &[&LocaleDir]) -> Locale {
    let id = fluent_id(lang);
    let rtl = id.character_direction() == CharacterDirection::RTL;
    let speech = ready::Speech::new(&id, lang.primary(), rtl);
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Isolates keep a number or a name in its own direction inside right-to-left text; in
    // left-to-right languages they would only add bytes.
    bundle.set_use_isolating(rtl);
    bundle.set_formatter(Some(numbers::format_value));
    let mut ids = BTreeSet::new();
    let mut add = |bundle: &mut FluentBundle<Arc<FluentResource>>,
                   resource: &Arc<FluentResource>| {
        ids.extend(resource.entries().filter_map(|e| match e {
            ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        }));
        bundle.add_resource_overriding(resource.clone());
    };
    for (tag, resource) in shipped() {
        if *tag == lang {
            add(&mut bundle, resource);
        }
    }
    for layer in layers {
        for resource in layer.by_lang.get(lang.code()).into_iter().flatten() {
            add(&mut bundle, resource);
        }
    }
    // Each message as the bundle has it (the last layer's), made ready where it can be.
    let ready = ids
        .into_iter()
        .filter_map(|id| {
            let pattern = bundle.get_message(&id)?.value()?;
            Some((id.into_boxed_str(), ready::Ready::of(pattern, &speech)?))
        })
        .collect();
    let mut locale = Locale {
        lang,
        name: String::new(),
        rtl,
        bundle,
        ready,
        speech,
    };
    locale.name = locale.text("language-name").into_owned();
    locale
}

/// A room's languages from the shipped files and the layers (the global `locales_dir`, then
/// the room's), as its settings ask.
pub fn load(
    settings: LocaleSettings,
    layers: &[&LocaleDir],
) -> Result<Locales, Vec<LocaleProblem>> {
    let mut problems = Vec::new();
    let mut available: Vec<Lang> = shipped().iter().map(|(l, _)| *l).collect();
    for layer in layers {
        for tag in layer.by_lang.keys() {
            if let Some(l) = Lang::parse(tag).filter(|l| !available.contains(l)) {
                available.push(l);
            }
        }
    }
    let offered: Vec<Lang> = match settings.languages {
        Some(list) => list.to_vec(),
        None => available.clone(),
    };
    for lang in &offered {
        if !available.contains(lang) {
            problems.push(LocaleProblem::new(
                "languages",
                format!("`{lang}` has no messages: it is neither shipped nor in locales_dir"),
                &format!(
                    "use a shipped language ({}), or add locales_dir/{lang}/*.ftl with every \
                     message of the English file",
                    shipped_tags()
                ),
            ));
        }
    }
    let Some(default) = offered.iter().position(|l| *l == settings.language) else {
        problems.push(LocaleProblem::new(
            "language",
            format!("`{}` is not among the languages offered", settings.language),
            "add it to languages, or choose one of them",
        ));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let locales: Vec<Arc<Locale>> = offered
        .iter()
        .map(|l| Arc::new(locale(*l, layers)))
        .collect();
    for l in &locales {
        trial(l, &mut problems);
    }
    if problems.is_empty() {
        Ok(Locales {
            offered: locales,
            default,
        })
    } else {
        Err(problems)
    }
}

fn shipped_tags() -> String {
    SHIPPED
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every message the pages ask for, formatted once with sample figures: a language that
/// lacks one, or whose message refers to something that is not there, fails here rather
/// than in front of a visitor.
fn trial(locale: &Locale, problems: &mut Vec<LocaleProblem>) {
    let mut missing = Vec::new();
    let mut ids: Vec<(&&str, &BTreeSet<&str>)> = reference().iter().collect();
    ids.sort();
    for (id, vars) in ids {
        let Some(pattern) = locale.bundle.get_message(id).and_then(|m| m.value()) else {
            missing.push(*id);
            continue;
        };
        for sample in [1u64, 2, 5, 22] {
            let mut args = FluentArgs::new();
            for v in vars {
                args.set(*v, FluentValue::from(sample));
            }
            let mut errors = Vec::new();
            let _ = locale
                .bundle
                .format_pattern(pattern, Some(&args), &mut errors);
            if let Some(e) = errors.first() {
                problems.push(LocaleProblem::new(
                    "locales_dir",
                    format!("language `{}`, message `{id}`: {e}", locale.lang),
                    "refer only to messages, terms and variables that exist",
                ));
                break;
            }
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(8).copied().collect();
        let more = missing.len().saturating_sub(shown.len());
        problems.push(LocaleProblem::new(
            "locales_dir",
            format!(
                "language `{}` lacks {} message(s): {}{}",
                locale.lang,
                missing.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            "a language of its own needs every message of the English file \
             (docs/configuration.md, \"Languages\")",
        ));
    }
}
