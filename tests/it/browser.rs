//! The citizens' page in a real browser: headless Chromium driven over the DevTools protocol
//! against the real gateway, with JavaScript on and off, an axe-core accessibility audit of
//! every state, and screenshots at phone and desktop width.
//!
//! axe-core comes from the npm registry (`npm ci --prefix tests/browser`, which CI runs);
//! screenshots go to `target/screenshots/`, or to `$WARTESAAL_SCREENSHOTS` (README's come
//! from `WARTESAAL_SCREENSHOTS=docs/screenshots cargo test --test it browser::`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{self, text_of, Browser, PATIENCE};

/// axe-core's script, if `npm ci --prefix tests/browser` has fetched it.
fn axe_source() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{}: {e}; run `npm ci --prefix tests/browser`",
                path.display()
            );
            eprintln!("axe audit skipped: run `npm ci --prefix tests/browser`");
            None
        }
    }
}

/// WCAG 2.1 A and AA violations axe-core finds on the open page.
async fn audit(browser: &mut Browser, axe: &str) -> Vec<Value> {
    browser.eval(axe).await;
    let found = browser
        .eval(
            "axe.run(document, { runOnly: { type: 'tag', values: \
             ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then(r => r.violations.map(v => \
             ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html) })))",
        )
        .await;
    found.as_array().cloned().unwrap_or_default()
}

fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("WARTESAAL_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The width a PNG says it has.
fn png_width(png: &[u8]) -> u32 {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    u32::from_be_bytes(png[16..20].try_into().unwrap())
}

/// Re-reads the page until `check` holds (the page moves on by itself; this only watches).
async fn until(browser: &mut Browser, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let html = browser.html().await;
        if check(&html) {
            return html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}; page:\n{html}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn position(html: &str) -> u64 {
    let text = text_of(html, "ws-position").unwrap_or_else(|| panic!("no position in {html}"));
    text.replace(['.', ','], "").trim().parse().unwrap()
}

/// The page open in `browser` at `width`: no sideways scrolling, no text under 18 px, no
/// WCAG 2.1 AA violation axe-core finds (added to `problems`), and at phone and desktop width
/// a screenshot `name-width.png` (added to `shots`).
async fn inspect(
    browser: &mut Browser,
    axe: Option<&str>,
    name: &str,
    width: u32,
    problems: &mut Vec<String>,
    shots: &mut Vec<PathBuf>,
) {
    let scroll = browser.eval("document.documentElement.scrollWidth").await;
    assert!(
        scroll.as_u64().unwrap() <= u64::from(width),
        "{name} scrolls sideways at {width} px: {scroll}"
    );
    let small = browser
        .eval(
            "[...document.querySelectorAll('body *')].filter(e => e.innerText && \
             e.offsetParent !== null && parseFloat(getComputedStyle(e).fontSize) < 18)\
             .map(e => e.outerHTML.slice(0, 80))",
        )
        .await;
    assert_eq!(small, json!([]), "{name}: text under 18 px at {width} px");
    if let Some(axe) = axe {
        for v in audit(browser, axe).await {
            problems.push(format!("{name} at {width} px: {v}"));
        }
    }
    if width == 375 || width == 1280 {
        let png = browser.screenshot().await;
        assert_eq!(png_width(&png), width, "{name} at {width} px");
        let file = screenshot_dir().join(format!("{name}-{width}.png"));
        std::fs::write(&file, &png).unwrap();
        shots.push(file);
    }
}

/// One visitor's whole wait in a real browser: the place shown, falling as the line moves,
/// and the booking site once it is their turn.
async fn wait_in_line(chromium: &Path, javascript: bool) {
    let up = support::upstream().await;
    let gw = support::gateway(&support::config_text(
        "",
        &support::room(
            "r",
            &up.url(),
            "admit_per_minute = 60\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"",
        ),
    ))
    .await;
    // Someone walks in, two more wait: the browser is third in line.
    let mut first = gw.visitor();
    assert_eq!(first.get("/termine").await.body, "upstream:/termine");
    let mut others = Vec::new();
    for _ in 0..2 {
        let mut v = gw.visitor();
        v.get_json("/termine").await;
        others.push(v);
    }

    let mut browser = Browser::launch(chromium).await;
    browser.javascript(javascript).await;
    browser.viewport(375).await;
    browser.goto(&format!("{}/termine", gw.base())).await;
    let html = browser.html().await;
    let start = position(&html);
    assert_eq!(start, 3, "{html}");
    assert!(
        html.contains("Bitte lassen Sie diese Seite geöffnet"),
        "{html}"
    );
    if !javascript {
        assert!(
            html.contains("<meta http-equiv=\"refresh\""),
            "without JavaScript the page reloads itself"
        );
    }

    // A second on, one number has been called: the page shows it without anyone touching it.
    // With JavaScript the script's poll, run at once by the browser's virtual time; without,
    // the page's own refresh (about 5 s this close to the front), which virtual time does
    // not drive, so that one is waited for.
    gw.advance(Duration::from_secs(1));
    if javascript {
        browser.pass_time(40_000).await;
    }
    let html = until(&mut browser, "the place falls", |h| {
        text_of(h, "ws-position").is_some_and(|_| position(h) < start)
    })
    .await;
    assert_eq!(position(&html), start - 1);

    // Later it is the visitor's turn: the booking site's page appears at the same address.
    gw.advance(Duration::from_secs(60));
    if javascript {
        browser.pass_time(40_000).await;
    }
    until(&mut browser, "the booking site", |h| {
        h.contains("upstream:/termine")
    })
    .await;
    let seen = up.last("/termine").unwrap();
    assert!(
        seen.headers
            .get("cookie")
            .is_none_or(|c| !c.to_str().unwrap().contains("wartesaal_r")),
        "the room's cookie stays with the gateway"
    );
    browser.close().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_the_place_falls_and_the_visitor_lands_on_the_booking_site() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    wait_in_line(&chromium, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_page_reloads_itself_to_the_same_end() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    wait_in_line(&chromium, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_passes_the_accessibility_audit_from_320_px_to_desktop_and_at_200_percent_zoom()
{
    let Some(chromium) = support::chromium() else {
        return;
    };
    let axe = axe_source();
    let up = support::upstream().await;
    let opens = "2026-11-23T03:00:00+01:00"; // T0 + 2 h
    let prequeue = "2026-11-23T02:00:00+01:00"; // T0 + 1 h
    let rooms = [
        support::room(
            "impfzentrum",
            &up.url(),
            "admit_per_minute = 1\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"",
        ),
        support::room(
            "termine",
            &up.url(),
            &format!(
                "path_prefix = \"/vorab/\"\nadmit_per_minute = 60\ntitle = \"Impfzentrum EN-Kreis\"\n\
                 time_zone = \"Europe/Berlin\"\n[rooms.schedule]\nopens_at = \"{opens}\"\n\
                 prequeue_from = \"{prequeue}\""
            ),
        ),
        support::room(
            "buchung",
            "http://127.0.0.1:1",
            "path_prefix = \"/buchung/\"\nadmit_per_minute = 600\ntitle = \"Impfzentrum EN-Kreis\"",
        ),
    ];
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("browser-states"),
        "",
        &support::admin_token_line(),
        &rooms.concat(),
    ))
    .await;
    let base = gw.base();
    // A line: someone inside, forty waiting ahead of the browser.
    let mut v = gw.visitor();
    v.get("/termine").await;
    for _ in 0..40 {
        gw.visitor().get_json("/termine").await;
    }

    let mut browser = Browser::launch(&chromium).await;
    let mut shots = Vec::new();
    let mut problems = Vec::new();
    let mut photograph = async |browser: &mut Browser, name: &str, url: &str| {
        // 320 px is the narrowest phone; 640 px is a desktop window at 200 % zoom.
        for width in [320, 375, 640, 1280] {
            browser.viewport(width).await;
            browser.goto(url).await;
            inspect(
                browser,
                axe.as_deref(),
                name,
                width,
                &mut problems,
                &mut shots,
            )
            .await;
        }
        browser.html().await
    };

    let html = photograph(&mut browser, "waiting-de", &format!("{base}/termine")).await;
    assert!(html.contains("Sie sind in der Warteschlange"), "{html}");
    assert!(
        text_of(&html, "ws-time").unwrap().ends_with("Uhr"),
        "Berlin time"
    );
    // The visible switch: English from now on, back on the same page.
    let html = photograph(
        &mut browser,
        "waiting-en",
        &format!("{base}/.wartesaal/lang?to=en&back=/termine"),
    )
    .await;
    assert!(html.contains("You are in the queue"), "{html}");
    assert!(html.contains("lang=\"en\""));
    browser
        .goto(&format!("{base}/.wartesaal/lang?to=de&back=/termine"))
        .await;
    let html = photograph(&mut browser, "before-open-de", &format!("{base}/vorab/")).await;
    assert!(html.contains("noch nicht geöffnet"), "{html}");
    let html = photograph(&mut browser, "busy-de", &format!("{base}/buchung/")).await;
    assert!(html.contains("ausgelastet"), "{html}");

    gw.patch(
        "impfzentrum",
        r#"{"state": "paused", "message": {"de": "Wegen einer Störung geht es gleich weiter.", "en": "A short disruption: we will continue shortly."}}"#,
    )
    .await;
    let html = photograph(&mut browser, "paused-de", &format!("{base}/termine")).await;
    assert!(html.contains("Wegen einer Störung"), "{html}");
    gw.patch("impfzentrum", r#"{"state": "closed", "message": null}"#)
        .await;
    let html = photograph(&mut browser, "closed-de", &format!("{base}/termine")).await;
    assert!(html.contains("keine Termine mehr frei"), "{html}");
    gw.advance(Duration::from_secs(3600));
    let html = photograph(&mut browser, "prequeue-de", &format!("{base}/vorab/")).await;
    assert!(html.contains("Vorab-Warteschlange"), "{html}");
    browser.close().await;

    assert!(
        problems.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        problems.join("\n")
    );
    assert_eq!(shots.len(), 14);
    gw.stop().await;
}

/// The waiting page in every shipped language, the menu of languages opened: each passes the
/// audit at phone width with its own `lang` and `dir`, Arabic and Persian right to left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_language_passes_the_audit_at_phone_width() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let axe = axe_source();
    let up = support::upstream().await;
    let room =
        "admit_per_minute = 1\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"";
    let gw = support::gateway(&support::config_text(
        "",
        &support::room("r", &up.url(), room),
    ))
    .await;
    let base = gw.base();
    gw.visitor().get("/termine").await;
    for _ in 0..21 {
        gw.visitor().get_json("/termine").await;
    }
    let mut browser = Browser::launch(&chromium).await;
    let (mut shots, mut problems) = (Vec::new(), Vec::new());
    for (tag, _) in wartesaal::locale::SHIPPED {
        browser
            .goto(&format!("{base}/.wartesaal/lang?to={tag}&back=/termine"))
            .await;
        for width in [320, 375] {
            browser.viewport(width).await;
            browser.goto(&format!("{base}/termine")).await;
            browser
                .eval("document.querySelector('.ws-lang details').open = true")
                .await;
            let name = format!("waiting-{tag}");
            inspect(
                &mut browser,
                axe.as_deref(),
                &name,
                width,
                &mut problems,
                &mut shots,
            )
            .await;
        }
        let dir = if *tag == "ar" || *tag == "fa" {
            "rtl"
        } else {
            "ltr"
        };
        let seen = browser
            .eval("document.documentElement.lang + ' ' + document.documentElement.dir")
            .await;
        assert_eq!(seen, json!(format!("{tag} {dir}")));
        let html = browser.html().await;
        assert!(
            text_of(&html, "ws-ahead").is_some_and(|t| !t.is_empty()),
            "{tag}"
        );
    }
    browser.close().await;
    assert!(
        problems.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        problems.join("\n")
    );
    assert_eq!(shots.len(), wartesaal::locale::SHIPPED.len());
    gw.stop().await;
}

/// `path` in German and then in English (by the page's switch), inspected at every width as
/// `{name}-de` and `{name}-en`: the page's HTML in each language.
async fn both_languages(
    browser: &mut Browser,
    axe: Option<&str>,
    base: &str,
    path: &str,
    name: &str,
    problems: &mut Vec<String>,
    shots: &mut Vec<PathBuf>,
) -> [String; 2] {
    let mut pages = [String::new(), String::new()];
    for (lang, page) in ["de", "en"].into_iter().zip(pages.iter_mut()) {
        browser
            .goto(&format!("{base}/.wartesaal/lang?to={lang}&back={path}"))
            .await;
        let name = format!("{name}-{lang}");
        for width in [320, 375, 640, 1280] {
            browser.viewport(width).await;
            browser.goto(&format!("{base}{path}")).await;
            inspect(browser, axe, &name, width, problems, shots).await;
        }
        *page = browser.html().await;
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supply_sold_out_and_the_questions_pass_the_audit_in_both_languages() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let axe = axe_source();
    let up = support::upstream().await;
    let questions = "[[rooms.eligibility]]\nde = \"Wohnen Sie im Ennepe-Ruhr-Kreis?\"\n\
                     en = \"Do you live in the Ennepe-Ruhr district?\"\n\
                     otherwise_de = \"Termine für andere Kreise vergibt das Impfzentrum Ihres \
                     Kreises.\"\notherwise_en = \"Appointments for other districts are given \
                     out by your own district's vaccination centre.\"\n\
                     [[rooms.eligibility]]\nde = \"Sind Sie 80 Jahre oder älter?\"\n\
                     en = \"Are you 80 or older?\"\n";
    let rooms = [
        support::room(
            "impfzentrum",
            &up.url(),
            "admit_per_minute = 600\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"\n\
             [rooms.supply]\nappointments = 4000\nnext_release = \"2026-11-24T08:00:00+01:00\"\n",
        ),
        support::room(
            "fragen",
            &up.url(),
            &format!(
                "path_prefix = \"/fragen/\"\nadmit_per_minute = 60\ntitle = \"Impfzentrum EN-Kreis\"\n\
                 {questions}"
            ),
        ),
    ];
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("browser-supply"),
        "",
        &support::admin_token_line(),
        &rooms.concat(),
    ))
    .await;
    let base = gw.base();
    // Thirty let in booked one each and left; 3,400 wait behind them.
    support::book_until(&gw, Vec::new(), 0, 30).await;
    for _ in 0..3_400 {
        gw.visitor().get_json("/").await;
    }
    gw.patch("impfzentrum", r#"{"supply_remaining": 1200}"#)
        .await;

    let mut browser = Browser::launch(&chromium).await;
    let mut shots = Vec::new();
    let mut problems = Vec::new();
    let widths = [320, 375, 640, 1280];
    // The browser takes its place once, at the back of the line, and keeps it.
    browser.goto(&format!("{base}/")).await;
    let pages = both_languages(
        &mut browser,
        axe.as_deref(),
        &base,
        "/",
        "chance-unlikely",
        &mut problems,
        &mut shots,
    )
    .await;
    for (html, (left, said)) in pages.iter().zip([
        (
            "etwa 1.200 Termine frei",
            "unwahrscheinlich, dass bei Ihrer Ankunft",
        ),
        (
            "about 1,200 appointments",
            "unlikely that appointments will still be free",
        ),
    ]) {
        assert!(html.contains(left) && html.contains(said), "{html}");
        assert!(
            text_of(html, "ws-position").is_some(),
            "the place is never hidden"
        );
    }

    gw.patch("impfzentrum", r#"{"supply_remaining": 0}"#).await;
    let pages = both_languages(
        &mut browser,
        axe.as_deref(),
        &base,
        "/",
        "sold-out",
        &mut problems,
        &mut shots,
    )
    .await;
    for (html, said) in pages.iter().zip([
        [
            "Alle Termine sind vergeben",
            "Ihr Platz bleibt trotzdem erhalten",
            "24. November",
        ],
        [
            "All appointments have been booked",
            "You keep your place",
            "24 November",
        ],
    ]) {
        for s in said {
            assert!(html.contains(s), "{s}: {html}");
        }
    }

    // The questions, and what a "no" is told, in both languages (the pages carry no script:
    // the form is plain HTML).
    for lang in ["de", "en"] {
        browser
            .goto(&format!("{base}/.wartesaal/lang?to={lang}&back=/fragen/"))
            .await;
        let name = format!("questions-{lang}");
        for width in widths {
            browser.viewport(width).await;
            browser.goto(&format!("{base}/fragen/")).await;
            inspect(
                &mut browser,
                axe.as_deref(),
                &name,
                width,
                &mut problems,
                &mut shots,
            )
            .await;
        }
        let name = format!("questions-no-{lang}");
        for width in widths {
            browser.viewport(width).await;
            browser.goto(&format!("{base}/fragen/")).await;
            browser
                .eval(
                    "document.querySelector('input[name=q1][value=no]').click();\
                     document.querySelector('input[name=q2][value=yes]').click();\
                     document.querySelector('form.ws-form').requestSubmit(); true",
                )
                .await;
            let html = until(&mut browser, "the answer to a no", |h| {
                h.contains("Impfzentrum Ihres Kreises") || h.contains("your own district")
            })
            .await;
            assert!(!html.contains("<form class=\"ws-form"), "{html}");
            inspect(
                &mut browser,
                axe.as_deref(),
                &name,
                width,
                &mut problems,
                &mut shots,
            )
            .await;
        }
    }
    assert_eq!(
        gw.metric(
            "wartesaal_eligibility_answers_total{answer=\"no\",question=\"1\",room=\"fragen\"}"
        )
        .await,
        8.0
    );
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"fragen\"}")
            .await,
        0.0
    );
    browser.close().await;
    assert!(
        problems.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        problems.join("\n")
    );
    assert_eq!(shots.len(), 16);
    gw.stop().await;
}

/// The place code on the waiting page, the restore form (with the answer to a mistyped code)
/// and the invitation form, audited in both languages from 320 px to desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_place_code_and_the_code_forms_pass_the_audit_in_both_languages() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let axe = axe_source();
    let up = support::upstream().await;
    let rooms = [
        support::room(
            "impfzentrum",
            &up.url(),
            "admit_per_minute = 60\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"\n\
             [rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:9\"\nfrom = \"termine@example.de\"\n\
             public_url = \"https://termine.example.de\"\n",
        ),
        support::room(
            "einladung",
            &up.url(),
            "path_prefix = \"/einladung/\"\nadmit_per_minute = 60\ntitle = \"Impfzentrum EN-Kreis\"\n\
             [rooms.invitations]\nrequired = true\n",
        ),
    ];
    let gw = support::gateway(&support::config_text("", &rooms.concat())).await;
    let base = gw.base();
    for _ in 0..40 {
        gw.visitor().get_json("/").await;
    }
    let mut browser = Browser::launch(&chromium).await;
    let mut shots = Vec::new();
    let mut problems = Vec::new();
    let widths = [320, 375, 640, 1280];
    browser.goto(&format!("{base}/")).await;
    let pages = both_languages(
        &mut browser,
        axe.as_deref(),
        &base,
        "/",
        "place-code",
        &mut problems,
        &mut shots,
    )
    .await;
    for (html, said) in pages.iter().zip(["Ihr Platzcode", "Your place code"]) {
        assert!(html.contains(said), "{html}");
        let code = text_of(html, "ws-code")
            .expect("the code is shown")
            .replace("<wbr>", "");
        assert_eq!(code.len(), 19, "{code}");
        assert!(html.contains("name=\"email\""), "the e-mail field: {html}");
    }
    // The e-mail field filled in and sent, each time with a new ticket (one address each).
    let mut n = 0;
    for (lang, said) in [
        ("de", "Wir schreiben Ihnen"),
        ("en", "We will write to you"),
    ] {
        for width in [375, 1280] {
            n += 1;
            browser.call("Network.clearBrowserCookies", json!({})).await;
            browser
                .goto(&format!("{base}/.wartesaal/lang?to={lang}&back=/"))
                .await;
            browser.viewport(width).await;
            browser.goto(&format!("{base}/")).await;
            browser
                .eval(&format!(
                    "document.querySelector('input[name=email]').value = 'p{n}@example.org';\
                     document.querySelector('form.ws-notify').requestSubmit(); true"
                ))
                .await;
            until(&mut browser, "the e-mail noted", |h| {
                h.contains("id=\"ws-notify\"")
            })
            .await;
            let html = browser.html().await;
            assert!(html.contains(said), "{lang}: {html}");
            inspect(
                &mut browser,
                axe.as_deref(),
                &format!("notify-{lang}"),
                width,
                &mut problems,
                &mut shots,
            )
            .await;
        }
    }
    let forms = [
        (
            "restore",
            "/.wartesaal/restore?room=impfzentrum",
            "Platz zurückholen",
            "Get your place back",
        ),
        (
            "invitation",
            "/einladung/",
            "Einladungscode",
            "invitation code",
        ),
    ];
    for (name, path, de, en) in forms {
        for (lang, said) in [("de", de), ("en", en)] {
            browser
                .goto(&format!(
                    "{base}/.wartesaal/lang?to={lang}&back={}",
                    support_encode(path)
                ))
                .await;
            for width in widths {
                browser.viewport(width).await;
                browser.goto(&format!("{base}{path}")).await;
                let html = browser.html().await;
                assert!(html.contains(said), "{name} {lang}: {html}");
                assert!(!html.contains("<script"), "{name} needs no script");
                inspect(
                    &mut browser,
                    axe.as_deref(),
                    &format!("{name}-{lang}"),
                    width,
                    &mut problems,
                    &mut shots,
                )
                .await;
            }
            // A mistyped code: the form again, with a plain sentence.
            for width in widths {
                browser.viewport(width).await;
                browser.goto(&format!("{base}{path}")).await;
                browser
                    .eval(
                        "document.querySelector('input[name=code]').value = 'ABCD';\
                         document.querySelector('form.ws-form').requestSubmit(); true",
                    )
                    .await;
                until(&mut browser, "the answer to a mistyped code", |h| {
                    h.contains("ws-error")
                })
                .await;
                inspect(
                    &mut browser,
                    axe.as_deref(),
                    &format!("{name}-error-{lang}"),
                    width,
                    &mut problems,
                    &mut shots,
                )
                .await;
            }
        }
    }
    browser.close().await;
    assert!(
        problems.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        problems.join("\n")
    );
    assert_eq!(shots.len(), 4 + 4 + 2 * 2 * 2 * 2);
    gw.stop().await;
}

fn support_encode(path: &str) -> String {
    path.replace('?', "%3F").replace('=', "%3D")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_takes_only_a_token_the_gateway_accepts_and_holds_everyone_in_line() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let up = support::upstream().await;
    let config = support::config_full(
        &support::temp_dir("dashboard"),
        "",
        &support::admin_token_line(),
        &support::room(
            "r",
            &up.url(),
            "admit_per_minute = 60\ntitle = \"Impfzentrum\"",
        ),
    );
    let gw = support::gateway(&config).await;
    let admin = format!("http://{}/", gw.running.admin_addr);
    let mut browser = Browser::launch(&chromium).await;
    browser.goto(&admin).await;
    until(&mut browser, "the room's card", |h| {
        h.contains("id=\"room-r\"")
    })
    .await;
    let axis = browser
        .eval("[...document.querySelectorAll('#room-r .axis')].map(a => a.innerText.replace(/\\s+/g, ' ')).join('|')")
        .await;
    assert!(
        axis.as_str().unwrap().contains("−60 min") && axis.as_str().unwrap().contains("now"),
        "every chart has its time axis: {axis}"
    );
    let controls_hidden = "document.querySelector('#room-r form').classList.contains('hidden')";
    // A wrong token is refused and the controls stay hidden.
    browser
        .eval(
            "document.getElementById('token').value = 'not-the-token-at-all';\
             document.getElementById('save-token').click(); true",
        )
        .await;
    until_js(&mut browser, NOTE, "The gateway refused this token.").await;
    assert_eq!(browser.eval(controls_hidden).await, json!(true));
    // The right one is taken.
    browser
        .eval(&format!(
            "document.getElementById('token').value = '{}';\
             document.getElementById('save-token').click(); true",
            support::ADMIN_TOKEN
        ))
        .await;
    until_js(&mut browser, NOTE, "Token accepted for this tab.").await;
    assert_eq!(browser.eval(controls_hidden).await, json!(false));
    // Hold everyone in line, from the dashboard.
    browser
        .eval("document.querySelector('#room-r button[name=queue_all]').click(); true")
        .await;
    until_js(
        &mut browser,
        "document.querySelector('#room-r button[name=queue_all]').textContent",
        "Let the line move again",
    )
    .await;
    let room = gw
        .admin(http::Method::GET, "/api/v1/rooms/r", None, None)
        .await
        .json();
    assert_eq!(room["queue_all"], true, "{room}");
    // Only a German message: saved, and the card flags the languages it is not written in.
    browser
        .eval(
            "var f = document.querySelector('#room-r form'); var i = f.elements['msg-de'];\
             i.value = 'Heute nur mit Termin'; i.setAttribute('data-dirty', '1');\
             f.querySelector('button[name=message]').click(); true",
        )
        .await;
    until_js(&mut browser, NOTE, "Saved for r.").await;
    until_js(
        &mut browser,
        "document.querySelector('#room-r .message').textContent",
        "Message: de: Heute nur mit Termin — not written in de-x-ls, en, tr, ar, ru, uk, pl, \
         ro, it, el, fa, fr, es (shown in the default language)",
    )
    .await;
    browser.close().await;
    gw.stop().await;
}

/// The dashboard's status line.
const NOTE: &str = "document.getElementById('note').textContent";

/// Waits until `expression` evaluates to `want` in the page (the page's own script holds
/// these texts too, so its HTML would show them at once).
async fn until_js(browser: &mut Browser, expression: &str, want: &str) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let got = browser.eval(expression).await;
        if got == json!(want) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never became {want:?}: {expression} is {got}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
