use std::collections::BTreeSet;
use std::path::Path;

use super::load::{read_dir, LocaleDir};
use super::*;

fn shipped_locales() -> Locales {
    let settings = LocaleSettings {
        language: Lang::DE,
        languages: None,
    };
    load(settings, &[]).expect("the shipped languages load")
}

fn tag(s: &str) -> Lang {
    Lang::parse(s).unwrap()
}

/// Messages that may read as in English: only placeables, or a word both languages share.
const SAME_AS_ENGLISH: &[(&str, &str)] = &[
    ("*", "time-of-day"),
    ("*", "duration-hours-minutes"),
    ("it", "answer-no"),
    ("es", "answer-no"),
    ("fr", "duration-minutes"),
];

/// The ids and variables of one shipped file, straight from its source.
fn ids_and_vars(source: &str) -> BTreeSet<(String, BTreeSet<String>)> {
    let resource = fluent_syntax::parser::parse(source).expect("parses");
    resource
        .body
        .iter()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => {
                let vars = load::variables_of(m)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                Some((m.id.name.to_string(), vars))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_shipped_language_has_every_message_with_the_same_variables() {
    let (_, english) = SHIPPED.iter().find(|(t, _)| *t == "en").unwrap();
    let reference = ids_and_vars(english);
    assert!(reference.len() > 90, "{}", reference.len());
    for (lang, source) in SHIPPED {
        let own = ids_and_vars(source);
        let missing: Vec<_> = reference.difference(&own).collect();
        let extra: Vec<_> = own.difference(&reference).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing or different {missing:?}, not in English {extra:?}"
        );
    }
}

#[test]
fn no_shipped_language_leaves_a_message_in_english() {
    let locales = shipped_locales();
    let english = locales.get(Lang::EN);
    let (_, source) = SHIPPED.iter().find(|(t, _)| *t == "en").unwrap();
    let ids: Vec<(String, BTreeSet<String>)> = ids_and_vars(source).into_iter().collect();
    let mut same = Vec::new();
    for l in locales.menu().filter(|l| l.lang() != Lang::EN) {
        for (id, vars) in &ids {
            if SAME_AS_ENGLISH
                .iter()
                .any(|(t, i)| (*t == "*" || *t == l.lang().code()) && i == id)
            {
                continue;
            }
            for n in [1, 2, 5, 22] {
                let args: Vec<(&str, Arg)> =
                    vars.iter().map(|v| (v.as_str(), Arg::Num(n))).collect();
                let theirs = Locale::plain(&l.say(id, &args));
                let ours = english.say(id, &args);
                if theirs == ours {
                    same.push(format!(
                        "{}: `{id}` ({n}) reads as in English: {ours}",
                        l.lang()
                    ));
                }
            }
        }
    }
    assert!(same.is_empty(), "{}", same.join("\n"));
}

#[test]
fn each_language_is_named_in_itself_and_written_in_its_direction() {
    let locales = shipped_locales();
    let names: Vec<(&str, &str, &str)> = vec![
        ("de", "Deutsch", "ltr"),
        ("de-x-ls", "Leichte Sprache", "ltr"),
        ("en", "English", "ltr"),
        ("tr", "Türkçe", "ltr"),
        ("ar", "العربية", "rtl"),
        ("ru", "Русский", "ltr"),
        ("uk", "Українська", "ltr"),
        ("pl", "Polski", "ltr"),
        ("ro", "Română", "ltr"),
        ("it", "Italiano", "ltr"),
        ("el", "Ελληνικά", "ltr"),
        ("fa", "فارسی", "rtl"),
        ("fr", "Français", "ltr"),
        ("es", "Español", "ltr"),
    ];
    let menu: Vec<(String, String, &str)> = locales
        .menu()
        .map(|l| (l.lang().to_string(), l.name().to_string(), l.dir()))
        .collect();
    let want: Vec<(String, String, &str)> = names
        .into_iter()
        .map(|(t, n, d)| (t.to_string(), n.to_string(), d))
        .collect();
    assert_eq!(menu, want);
}

/// "N people ahead" at 1, 2, 5 and 22 in every language, with the forms CLDR gives it.
#[test]
fn plurals_follow_each_languages_own_forms() {
    let locales = shipped_locales();
    let ahead = |lang: &str, n: u64| {
        locales
            .get(tag(lang))
            .say("ahead", &[("count", Arg::Num(n))])
    };
    let forms = |lang: &str| [1, 2, 5, 22].map(|n| ahead(lang, n));
    assert_eq!(
        forms("en"),
        [
            "There is 1 person ahead of you.",
            "There are 2 people ahead of you.",
            "There are 5 people ahead of you.",
            "There are 22 people ahead of you."
        ]
    );
    // Russian and Polish: one, few, many, and 22 few again.
    assert_eq!(
        forms("ru"),
        [
            "Перед вами ещё 1 человек.",
            "Перед вами ещё 2 человека.",
            "Перед вами ещё 5 человек.",
            "Перед вами ещё 22 человека."
        ]
    );
    assert_eq!(
        forms("pl"),
        [
            "Przed Tobą jest jeszcze 1 osoba.",
            "Przed Tobą są jeszcze 2 osoby.",
            "Przed Tobą jest jeszcze 5 osób.",
            "Przed Tobą są jeszcze 22 osoby."
        ]
    );
    assert!(ahead("uk", 5).contains("людей") && ahead("uk", 22).contains("людини"));
    // Romanian says "de" from twenty on.
    assert!(ahead("ro", 5).ends_with("5 persoane.") && ahead("ro", 22).contains("22 de persoane"));
    // Arabic: six forms (zero in its own words), its own digits, isolated in the text.
    let ar = |n: u64| {
        Locale::plain(
            &locales
                .get(tag("ar"))
                .say("supply-left", &[("count", Arg::Num(n))]),
        )
    };
    assert_eq!(ar(0), "لم يعد هناك أي موعد متاح.");
    assert_eq!(ar(1), "لا يزال هناك موعد واحد متاح.");
    assert_eq!(ar(2), "لا يزال هناك موعدان متاحان.");
    assert_eq!(ar(5), "لا يزال هناك ٥ مواعيد متاحة.");
    assert_eq!(ar(22), "لا يزال هناك ٢٢ موعدًا متاحًا.");
    assert_eq!(ar(100), "لا يزال هناك ١٠٠ موعد متاح.");
    assert!(locales
        .get(tag("ar"))
        .say("ahead", &[("count", Arg::Num(5))])
        .contains("\u{2068}٥\u{2069}"));
    // Every language says 1, 2, 5 and 22 apart, with the figure in its own digits.
    for l in locales.menu() {
        let said: BTreeSet<String> = [1, 2, 5, 22]
            .map(|n| l.say("ahead", &[("count", Arg::Num(n))]))
            .into_iter()
            .collect();
        assert_eq!(said.len(), 4, "{}: {said:?}", l.lang());
        assert!(
            said.iter().any(|s| s.contains(&l.number(22))),
            "{}: {said:?}",
            l.lang()
        );
    }
}

#[test]
fn numbers_are_grouped_as_each_language_writes_them() {
    let locales = shipped_locales();
    let n = |lang: &str| locales.get(tag(lang)).number(12345);
    assert_eq!(n("de"), "12.345");
    assert_eq!(n("en"), "12,345");
    assert_eq!(n("fr"), "12\u{202f}345");
    assert_eq!(n("ru"), "12\u{a0}345");
    assert_eq!(n("ar"), "١٢٬٣٤٥");
    assert_eq!(n("fa"), "۱۲٬۳۴۵");
    let said = locales
        .get(Lang::DE)
        .say("prequeue-size", &[("count", Arg::Num(1200))]);
    assert_eq!(said, "Schon da: 1.200 Personen");
}

#[test]
fn tags_are_read_in_their_canonical_case() {
    assert_eq!(tag("DE").code(), "de");
    assert_eq!(tag("pt_br").code(), "pt-BR");
    assert_eq!(tag("de-X-LS").code(), "de-x-ls");
    assert_eq!(tag("sr-latn-ba").code(), "sr-Latn-BA");
    assert_eq!(tag("de-x-ls").primary(), "de");
    for bad in ["", "d", "deutsch", "de--x", "de x", "<b>", &"a-".repeat(20)] {
        assert!(Lang::parse(bad).is_none(), "{bad:?}");
    }
}

fn dir_with(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wartesaal-locales-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}

#[test]
fn an_operator_adds_a_language_and_rewords_a_message() {
    let (_, english) = SHIPPED.iter().find(|(t, _)| *t == "en").unwrap();
    let portuguese = english
        .replace("language-name = English", "language-name = Português")
        .replace("You are in the queue", "Você está na fila");
    let dir = dir_with(
        "added",
        &[
            ("pt-BR/wartesaal.ftl", &portuguese),
            (
                "de/zz-own.ftl",
                "waiting-title = Sie warten auf Ihren Impftermin\n",
            ),
        ],
    );
    let found = read_dir(&dir, "locales_dir").unwrap();
    let settings = LocaleSettings {
        language: Lang::DE,
        languages: Some(&[Lang::DE, tag("pt-BR")]),
    };
    let locales = load(settings, &[&LocaleDir::default(), &found]).unwrap();
    assert_eq!(locales.get(tag("pt-BR")).name(), "Português");
    assert_eq!(
        locales.get(tag("pt-BR")).text("waiting-title"),
        "Você está na fila"
    );
    assert_eq!(
        locales.get(Lang::DE).text("waiting-title"),
        "Sie warten auf Ihren Impftermin"
    );
    assert_eq!(locales.pick(Some("pt")), tag("pt-BR"));
    assert_eq!(locales.menu().count(), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_broken_file_an_unknown_id_and_a_stray_variable_name_file_and_line() {
    let dir = dir_with(
        "broken",
        &[
            ("tr/a.ftl", "waiting-title = Sıradasınız\nbroken = { $x\n"),
            ("tr/b.ftl", "# comment\nwaiting-titel = Sıradasınız\n"),
            ("tr/c.ftl", "\n\nestimate = { $when }\n"),
            ("Türkisch/d.ftl", "waiting-title = x\n"),
        ],
    );
    let problems = read_dir(&dir, "locales_dir").unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    let all = text.join("\n");
    assert!(all.contains("a.ftl, line 2: Expected a token"), "{all}");
    assert!(
        all.contains("b.ftl, line 2: unknown message id `waiting-titel`"),
        "{all}"
    );
    assert!(
        all.contains("c.ftl, line 3: message `estimate` uses $when"),
        "{all}"
    );
    assert!(all.contains("`Türkisch` is not a language tag"), "{all}");
    assert!(problems.iter().all(|p| p.key == "locales_dir"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_language_without_messages_or_lacking_some_is_refused() {
    let settings = LocaleSettings {
        language: Lang::DE,
        languages: Some(&[Lang::DE, tag("sv")]),
    };
    let problems = load(settings, &[]).unwrap_err();
    assert_eq!(problems[0].key, "languages");
    assert!(
        problems[0].message.contains("`sv` has no messages"),
        "{problems:?}"
    );

    let dir = dir_with(
        "partial",
        &[("sv/a.ftl", "waiting-title = Du står i kön\n")],
    );
    let found = read_dir(Path::new(&dir), "locales_dir").unwrap();
    let problems = load(settings, &[&found]).unwrap_err();
    assert!(
        problems[0].message.contains("language `sv` lacks") && problems[0].message.contains("and "),
        "{problems:?}"
    );
    let settings = LocaleSettings {
        language: tag("tr"),
        languages: Some(&[Lang::DE]),
    };
    assert_eq!(load(settings, &[]).unwrap_err()[0].key, "language");
    let _ = std::fs::remove_dir_all(dir);
}

/// Values a message is given in the comparison below: the plural forms' edges in every
/// shipped language, numbers that are grouped, and words (also plural category names, which
/// a selection on words compares as words).
const SAID_WITH: &[Arg] = &[
    Arg::Num(0),
    Arg::Num(1),
    Arg::Num(2),
    Arg::Num(3),
    Arg::Num(5),
    Arg::Num(7),
    Arg::Num(11),
    Arg::Num(12),
    Arg::Num(21),
    Arg::Num(22),
    Arg::Num(25),
    Arg::Num(102),
    Arg::Num(111),
    Arg::Num(1_234),
    Arg::Num(12_345),
    Arg::Num(1_000_001),
    Arg::Num(u64::MAX),
    Arg::Text("20–30 Minuten"),
    Arg::Text("one"),
    Arg::Text("few"),
];

#[test]
fn messages_made_ready_say_word_for_word_what_fluent_says() {
    let locales = shipped_locales();
    let mut compared = 0;
    for l in locales.menu() {
        assert!(l.ready.len() > 90, "{}: {} ready", l.lang(), l.ready.len());
        for (id, ready) in &l.ready {
            let vars = ready.variables();
            // Every pair of values for the first two variables; the others rotate.
            for (i, a) in SAID_WITH.iter().enumerate() {
                for b in SAID_WITH {
                    let args: Vec<(&str, Arg)> = vars
                        .iter()
                        .enumerate()
                        .map(|(k, v)| match k {
                            0 => (*v, *a),
                            1 => (*v, *b),
                            _ => (*v, SAID_WITH[(i + k) % SAID_WITH.len()]),
                        })
                        .collect();
                    assert_eq!(
                        l.say(id, &args),
                        l.format(id, &args),
                        "{} {id} {args:?}",
                        l.lang()
                    );
                    compared += 1;
                    if vars.len() < 2 {
                        break;
                    }
                }
                if vars.is_empty() {
                    assert_eq!(l.text(id), l.format(id, &[]), "{} {id}", l.lang());
                    break;
                }
            }
        }
    }
    assert!(compared > 10_000, "{compared}");
}

#[test]
fn a_message_with_what_is_left_to_fluent_is_still_said() {
    let dir = dir_with(
        "left-to-fluent",
        &[(
            "en/wartesaal.ftl",
            "-site = the booking site\nahead = { -site } says: { $count ->\n    [one] one person\n   *[other] { $count } people\n} ahead\n",
        )],
    );
    let settings = LocaleSettings {
        language: Lang::EN,
        languages: None,
    };
    let layer = read_dir(&dir, "locales_dir").unwrap();
    let locales = load(settings, &[&layer]).unwrap();
    let en = locales.get(Lang::EN);
    assert!(!en.ready.contains_key("ahead"));
    assert_eq!(
        en.say("ahead", &[("count", Arg::Num(1234))]),
        "the booking site says: 1,234 people ahead"
    );
    let _ = std::fs::remove_dir_all(dir);
}
