use super::*;
use crate::locale::{load, LocaleSettings};

fn locales() -> Locales {
    let settings = LocaleSettings {
        language: Lang::DE,
        languages: None,
    };
    load(settings, &[]).expect("the shipped languages load")
}

fn tag(s: &str) -> Lang {
    Lang::parse(s).unwrap()
}

#[test]
fn accept_language_picks_by_quality() {
    let l = locales();
    assert_eq!(l.pick(Some("en-US,en;q=0.9")), Lang::EN);
    assert_eq!(l.pick(Some("fr,de;q=0.5,en;q=0.9")), tag("fr"));
    assert_eq!(l.pick(Some("sv,de;q=0.5,en;q=0.9")), Lang::EN);
    assert_eq!(
        l.pick(Some("de-AT")),
        Lang::DE,
        "a region finds its language"
    );
    assert_eq!(l.pick(Some("tr-TR,tr;q=0.9,en;q=0.8")), tag("tr"));
    assert_eq!(l.pick(Some("ar-EG")), tag("ar"));
    assert_eq!(
        l.pick(Some("sv")),
        Lang::DE,
        "none offered: the room's default"
    );
    assert_eq!(l.pick(Some("en;q=0")), Lang::DE);
    assert_eq!(l.pick(None), Lang::DE);
    assert_eq!(l.pick(Some(&"x,".repeat(100_000))), Lang::DE);
}

#[test]
fn numbers_and_waits_read_naturally() {
    let l = locales();
    let (de, en) = (l.get(Lang::DE), l.get(Lang::EN));
    assert_eq!(de.number(1234567), "1.234.567");
    assert_eq!(en.number(1234), "1,234");
    assert_eq!(en.number(999), "999");
    assert_eq!(eta_words(de, 30), "weniger als eine Minute");
    assert_eq!(eta_words(de, 25 * 60), "etwa 25 Minuten");
    assert_eq!(eta_words(en, 61), "about 2 minutes");
    assert_eq!(eta_words(en, 60), "about 1 minute");
    assert_eq!(
        eta_words(de, 2 * 3600 + 8 * 60),
        "etwa 2 Stunden 10 Minuten"
    );
    assert_eq!(eta_words(en, 3600), "about 1 hour");
    assert_eq!(eta_words(de, 61 * 60), "etwa 1 Stunde 5 Minuten");
}

#[test]
fn ranges_read_naturally() {
    let l = locales();
    let (de, en) = (l.get(Lang::DE), l.get(Lang::EN));
    assert_eq!(eta_range_words(de, 20 * 60, 30 * 60), "etwa 20–30 Minuten");
    assert_eq!(eta_range_words(en, 20 * 60, 30 * 60), "about 20–30 minutes");
    assert_eq!(eta_range_words(en, 30, 170), "up to 3 minutes");
    assert_eq!(eta_range_words(de, 10, 50), "weniger als eine Minute");
    assert_eq!(eta_range_words(de, 299, 300), "etwa 5 Minuten");
    assert_eq!(
        eta_range_words(de, 50 * 60, 80 * 60),
        "zwischen 50 Minuten und 1 Stunde 20 Minuten"
    );
    assert_eq!(
        eta_range_words(en, 2 * 3600, 3 * 3600),
        "between 2 hours and 3 hours"
    );
}

#[test]
fn refreshes_spread_over_plus_minus_twenty_percent() {
    let spread: std::collections::BTreeSet<u64> =
        (0..1000).map(|seed| jittered(30, seed)).collect();
    assert_eq!(spread.first(), Some(&24));
    assert_eq!(spread.last(), Some(&36));
    assert!(spread.len() > 10, "{spread:?}");
    assert!((0..1000).all(|seed| jittered(1, seed) >= 2));
    assert!(jittered(u64::MAX, 7) > 0, "no overflow");
}

#[test]
fn the_switch_returns_to_the_same_path_and_query() {
    let l = locales();
    let s = LanguageSwitch::new(l.get(Lang::DE), &l, "/termine?slot=früh&x=1");
    assert_eq!(
        s.href,
        "/.wartesaal/lang?to=de-x-ls&back=/termine%3Fslot%3Dfr%C3%BCh%26x%3D1"
    );
    let s = LanguageSwitch::new(l.get(Lang::EN), &l, "/");
    assert_eq!((s.label.as_str(), s.lang), ("Deutsch", Lang::DE));
    let menu = LanguageSwitch::menu(l.get(tag("tr")), &l, "/");
    assert_eq!(menu.len(), crate::locale::SHIPPED.len());
    assert!(menu.iter().any(|m| m.label == "Türkçe" && m.current));
    assert!(menu.iter().any(|m| m.label == "العربية" && m.dir == "rtl"));
}

#[test]
fn markup_is_escaped() {
    assert_eq!(
        escape("<a href=\"x\">&'").to_string(),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
    assert_eq!(escape("Türkçe").to_string(), "Türkçe");
    assert_eq!(escape("a<<b ü&").to_string(), "a&lt;&lt;b ü&amp;");
}
