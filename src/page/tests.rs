use super::*;

#[test]
fn accept_language_picks_by_quality() {
    assert_eq!(pick_language(Some("en-US,en;q=0.9"), Lang::De), Lang::En);
    assert_eq!(
        pick_language(Some("fr,de;q=0.5,en;q=0.9"), Lang::De),
        Lang::En
    );
    assert_eq!(pick_language(Some("de-AT"), Lang::En), Lang::De);
    assert_eq!(pick_language(Some("fr"), Lang::En), Lang::En);
    assert_eq!(pick_language(Some("en;q=0"), Lang::De), Lang::De);
    assert_eq!(pick_language(None, Lang::De), Lang::De);
    assert_eq!(
        pick_language(Some(&"x,".repeat(100_000)), Lang::En),
        Lang::En
    );
}

#[test]
fn numbers_and_waits_read_naturally() {
    assert_eq!(format_number(Lang::De, 1234567), "1.234.567");
    assert_eq!(format_number(Lang::En, 1234), "1,234");
    assert_eq!(format_number(Lang::En, 999), "999");
    assert_eq!(eta_words(Lang::De, 30), "weniger als eine Minute");
    assert_eq!(eta_words(Lang::De, 25 * 60), "etwa 25 Minuten");
    assert_eq!(eta_words(Lang::En, 61), "about 2 minutes");
    assert_eq!(eta_words(Lang::En, 60), "about 1 minute");
    assert_eq!(
        eta_words(Lang::De, 2 * 3600 + 8 * 60),
        "etwa 2 Stunden 10 Minuten"
    );
    assert_eq!(eta_words(Lang::En, 3600), "about 1 hour");
    assert_eq!(eta_words(Lang::De, 61 * 60), "etwa 1 Stunde 5 Minuten");
}

#[test]
fn ranges_read_naturally() {
    assert_eq!(
        eta_range_words(Lang::De, 20 * 60, 30 * 60),
        "etwa 20–30 Minuten"
    );
    assert_eq!(
        eta_range_words(Lang::En, 20 * 60, 30 * 60),
        "about 20–30 minutes"
    );
    assert_eq!(eta_range_words(Lang::En, 30, 170), "up to 3 minutes");
    assert_eq!(eta_range_words(Lang::De, 10, 50), "weniger als eine Minute");
    assert_eq!(eta_range_words(Lang::De, 299, 300), "etwa 5 Minuten");
    assert_eq!(
        eta_range_words(Lang::De, 50 * 60, 80 * 60),
        "zwischen 50 Minuten und 1 Stunde 20 Minuten"
    );
    assert_eq!(
        eta_range_words(Lang::En, 2 * 3600, 3 * 3600),
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
    let s = LanguageSwitch::new(Lang::De, "/termine?slot=früh&x=1");
    assert_eq!(
        s.href,
        "/.wartesaal/lang?to=en&back=/termine%3Fslot%3Dfr%C3%BCh%26x%3D1"
    );
    assert_eq!((s.label, s.lang), ("English", "en"));
    assert_eq!(LanguageSwitch::new(Lang::En, "/").label, "Deutsch");
}

#[test]
fn markup_is_escaped() {
    assert_eq!(
        escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}
