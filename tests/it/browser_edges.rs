//! The edges of the morning in a real browser (headless Chromium at 375 px): the place code
//! with large phone text, and what a screen reader is told when the place moves.

use std::time::Duration;

use crate::support::{self, text_of, Browser, PATIENCE};

/// With the phone's text at 130 % the place code wraps at its dashes instead of running off
/// the screen; the page still does not scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_place_code_wraps_at_its_dashes_with_large_text() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let (_up, gw) = support::one_room("admit_per_minute = 1").await;
    gw.visitor().get("/").await;
    let mut browser = Browser::launch(&chromium).await;
    browser.javascript(false).await;
    browser.viewport(320).await;
    browser.goto(&format!("{}/", gw.base())).await;
    let fits = browser
        .eval(
            "(() => { const root = document.documentElement; \
             root.style.fontSize = (parseFloat(getComputedStyle(root).fontSize) * 1.3 * 1.3) + 'px'; \
             const code = document.getElementById('ws-code'); const r = code.getBoundingClientRect(); \
             const lines = new Set([...code.getClientRects()].map(x => Math.round(x.top))).size; \
             return { right: r.right, width: window.innerWidth, scroll: root.scrollWidth, lines, \
             text: code.innerText }; })()",
        )
        .await;
    let right = fits["right"].as_f64().unwrap();
    let width = fits["width"].as_f64().unwrap();
    assert!(right <= width, "the code runs off the screen: {fits}");
    assert!(fits["scroll"].as_f64().unwrap() <= width, "{fits}");
    assert!(fits["lines"].as_u64().unwrap() >= 2, "it wraps: {fits}");
    // Broken only after a dash: every line ends with one but the last.
    let text = fits["text"].as_str().unwrap().replace('\n', "|");
    for line in text.split('|').rev().skip(1) {
        assert!(line.ends_with('-'), "{text}");
    }
    browser.close().await;
    gw.stop().await;
}

/// The box of figures is no live region (read whole, some 45 words, on every change); when
/// the place moves the script says only the sentences that changed, in a short polite one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_reader_is_told_only_what_changed() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let (_up, gw) = support::one_room("admit_per_minute = 60").await;
    let mut first = gw.visitor();
    assert_eq!(first.get("/").await.body, "upstream:/");
    let mut others = Vec::new();
    for _ in 0..3 {
        let mut v = gw.visitor();
        v.get_json("/").await;
        others.push(v);
    }
    let mut browser = Browser::launch(&chromium).await;
    browser.viewport(375).await;
    browser.goto(&format!("{}/", gw.base())).await;
    let html = browser.html().await;
    assert!(!html.contains("aria-live=\"polite\" aria-atomic"), "{html}");
    assert!(html.contains("id=\"ws-said\" role=\"status\""), "{html}");
    assert_eq!(text_of(&html, "ws-said").as_deref(), Some(""));
    gw.advance(Duration::from_secs(1));
    let deadline = std::time::Instant::now() + PATIENCE;
    let (said, ahead) = loop {
        browser.pass_time(40_000).await;
        let html = browser.html().await;
        let said = text_of(&html, "ws-said").unwrap_or_default();
        if !said.is_empty() {
            break (said, text_of(&html, "ws-ahead").unwrap_or_default());
        }
        assert!(std::time::Instant::now() < deadline, "nothing said: {html}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The page speaks the browser's language: the sentence said is the one now shown.
    assert!(said.starts_with(&ahead), "{said} / {ahead}");
    assert!(!said.contains("Platz"), "not the label again: {said}");
    let words = said.split_whitespace().count();
    assert!(words <= 20, "{words} words: {said}");
    browser.close().await;
    gw.stop().await;
}
