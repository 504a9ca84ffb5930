//! Every citizen's language, as a visitor meets it: the page in each shipped language with its
//! `lang` and `dir`, the menu of languages each named in itself, the choice kept in a cookie,
//! a room's own `languages` and `language`, and a language an operator adds from
//! `locales_dir` without a rebuild (and rewords on reload).

use std::path::{Path, PathBuf};

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};
use wartesaal::access::ticket::Secret;
use wartesaal::config::{Config, KeySource};
use wartesaal::locale::SHIPPED;

use crate::support::{self, Answer, Visitor};

async fn get_in(v: &mut Visitor, path: &str, accept_language: &str) -> Answer {
    let req = v
        .request(Method::GET, path)
        .header("accept-language", accept_language)
        .body(Empty::new().boxed())
        .unwrap();
    v.send(req).await
}

fn dir_of(tag: &str) -> &'static str {
    if tag == "ar" || tag == "fa" {
        "rtl"
    } else {
        "ltr"
    }
}

#[tokio::test]
async fn every_shipped_language_has_its_page_its_menu_entry_and_its_cookie() {
    let (_up, gw) = support::one_room("admit_per_minute = 1\ntime_zone = \"Europe/Berlin\"").await;
    gw.visitor().get("/").await;
    for (tag, _) in SHIPPED {
        let mut v = gw.visitor();
        let page = get_in(&mut v, "/termine", tag).await;
        let html = format!("<html lang=\"{tag}\" dir=\"{}\">", dir_of(tag));
        // A browser never asks for Leichte Sprache: it is chosen in the menu.
        if *tag != "de-x-ls" {
            assert!(page.body.contains(&html), "{tag}: {}", &page.body[..200]);
        }
        for (other, _) in SHIPPED {
            assert!(
                page.body
                    .contains(&format!("value=\"{other}\" lang=\"{other}\"")),
                "{tag}: the menu offers {other}"
            );
        }
        let switch = v
            .get(&format!("/.wartesaal/lang?to={tag}&back=/termine"))
            .await;
        assert_eq!(switch.status, StatusCode::SEE_OTHER, "{tag}");
        assert_eq!(switch.header("location"), Some("/termine"));
        assert!(switch
            .header("set-cookie")
            .unwrap()
            .starts_with(&format!("wartesaal-lang={tag}; Path=/;")));
        // The cookie beats the browser's language.
        let page = get_in(&mut v, "/termine", "en").await;
        assert!(page.body.contains(&html), "{tag}");
        assert!(
            page.body.contains(&format!(
                "value=\"{tag}\" lang=\"{tag}\" dir=\"{}\" aria-current=\"true\"",
                dir_of(tag)
            )),
            "{tag}: the menu marks the page's own language"
        );
        let status = v.get_json("/.wartesaal/status?room=r").await.json();
        assert!(
            status["ahead_text"].as_str().is_some_and(|t| !t.is_empty()),
            "{tag}"
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn arabic_reads_right_to_left_with_its_digits_and_the_code_isolated() {
    let (_up, gw) = support::one_room("admit_per_minute = 1").await;
    // The first goes in; the next two wait ahead of this visitor.
    for _ in 0..3 {
        gw.visitor().get("/").await;
    }
    let mut v = gw.visitor();
    let page = get_in(&mut v, "/", "ar-SY,ar;q=0.9,en;q=0.5").await;
    assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    // Two ahead: the dual, with no figure at all.
    assert!(page.body.contains("أمامك شخصان."), "{}", page.body);
    assert!(page.body.contains(">٣</p>"), "the place in Arabic digits");
    assert!(page
        .body
        .contains("<p class=\"ws-code\"><bdi id=\"ws-code\" dir=\"ltr\">"));
    v.set_cookie("wartesaal-lang", "ar");
    let status = v.get_json("/.wartesaal/status?room=r").await.json();
    assert_eq!(status["position_text"], "٣");
    assert_eq!(status["ahead_text"], "أمامك شخصان.");
    gw.stop().await;
}

#[tokio::test]
async fn an_unknown_language_is_a_clear_400_naming_those_offered() {
    let (_up, gw) = support::one_room(
        "admit_per_minute = 1\nlanguage = \"tr\"\nlanguages = [\"de\", \"tr\", \"ar\"]",
    )
    .await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    for bad in ["xx", "ru", "%3Cscript%3E", ""] {
        let a = v.get(&format!("/.wartesaal/lang?to={bad}&back=/")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.body.contains("it speaks: de, tr, ar"), "{}", a.body);
        assert!(a.header("set-cookie").is_none());
    }
    // The room's own menu and default: Russian asked for, Turkish given.
    let page = get_in(&mut v, "/", "ru").await;
    assert!(page.body.contains("<html lang=\"tr\" dir=\"ltr\">"));
    assert_eq!(page.body.matches("<button name=\"to\"").count(), 3);
    assert!(page.body.contains(">Türkçe</button>") && page.body.contains(">العربية</button>"));
    // A choice made in another room that this one does not offer falls back.
    v.set_cookie("wartesaal-lang", "ru");
    let page = get_in(&mut v, "/", "ar").await;
    assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    gw.stop().await;
}

fn load(text: &str) -> Result<Config, wartesaal::config::ConfigError> {
    Config::from_toml(
        text,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(support::SECRET)]),
    )
}

/// An operator's `locales_dir`: Portuguese (Brazil) added whole, one German message reworded.
fn operator_locales(name: &str, greeting: &str) -> PathBuf {
    let dir = support::temp_dir(name);
    let english = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/en/wartesaal.ftl"),
    )
    .unwrap();
    let portuguese = english
        .replace("language-name = English", "language-name = Português")
        .replace(
            "waiting-title = You are in the queue",
            &format!("waiting-title = {greeting}"),
        );
    std::fs::create_dir_all(dir.join("pt-BR")).unwrap();
    std::fs::create_dir_all(dir.join("de")).unwrap();
    std::fs::write(dir.join("pt-BR/wartesaal.ftl"), portuguese).unwrap();
    std::fs::write(
        dir.join("de/impfzentrum.ftl"),
        "waiting-title = Sie warten auf Ihren Impftermin\n",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn an_operator_adds_a_language_from_locales_dir_and_a_reload_rewords_it() {
    let dir = operator_locales("locales-added", "Você está na fila");
    let up = support::upstream().await;
    let state = support::temp_dir("state");
    let room_keys = |dir: &Path| {
        format!(
            "admit_per_minute = 1\nlanguages = [\"de\", \"pt-BR\", \"en\"]\nlocales_dir = \"{}\"",
            dir.display()
        )
    };
    let text = |dir: &Path| {
        support::config_in(&state, "", &support::room("r", &up.url(), &room_keys(dir)))
    };
    let mut gw = support::gateway(&text(&dir)).await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    let page = get_in(&mut v, "/", "pt-PT,pt;q=0.9").await;
    assert!(
        page.body.contains("<html lang=\"pt-BR\" dir=\"ltr\">"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<h1>Você está na fila</h1>"));
    assert!(page.body.contains(">Português</button>"));
    let page = get_in(&mut v, "/", "de").await;
    assert!(page
        .body
        .contains("<h1>Sie warten auf Ihren Impftermin</h1>"));

    // Reworded on disk and reloaded (what SIGHUP does): no rebuild, no restart.
    let again = operator_locales("locales-reworded", "Você está na fila de espera");
    let config = load(&text(&again)).unwrap();
    gw.running.reload(config).unwrap();
    let page = get_in(&mut v, "/", "pt-BR").await;
    assert!(
        page.body.contains("<h1>Você está na fila de espera</h1>"),
        "{}",
        page.body
    );
    gw.stop().await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(again);
}

#[test]
fn a_broken_file_or_a_language_without_messages_is_a_config_error_naming_the_key() {
    let dir = support::temp_dir("locales-broken");
    std::fs::create_dir_all(dir.join("tr")).unwrap();
    std::fs::write(dir.join("tr/own.ftl"), "\nwaiting-title = { $place\n").unwrap();
    let room = format!("admit_per_minute = 1\nlocales_dir = \"{}\"", dir.display());
    let text = support::config_text("", &support::room("r", "http://127.0.0.1:9", &room));
    let err = load(&text).unwrap_err().to_string();
    assert!(err.contains("rooms[0].locales_dir"), "{err}");
    assert!(err.contains("own.ftl, line 2"), "{err}");

    let room = "admit_per_minute = 1\nlanguages = [\"de\", \"sv\"]";
    let text = support::config_text("", &support::room("r", "http://127.0.0.1:9", room));
    let err = load(&text).unwrap_err().to_string();
    assert!(err.contains("rooms[0].languages"), "{err}");
    assert!(err.contains("`sv` has no messages"), "{err}");

    let room = "admit_per_minute = 1\nlanguage = \"tr\"\nlanguages = [\"de\", \"en\"]";
    let text = support::config_text("", &support::room("r", "http://127.0.0.1:9", room));
    let err = load(&text).unwrap_err().to_string();
    assert!(err.contains("rooms[0].language"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_operators_message_and_questions_take_any_language_and_fall_back_to_the_default() {
    let up = support::upstream().await;
    let questions = "\n[[rooms.eligibility]]\nde = \"Wohnen Sie im Kreis?\"\n\
                     en = \"Do you live in the district?\"\n\
                     text = { tr = \"İlçede mi oturuyorsunuz?\" }\n";
    let room = format!("admit_per_minute = 1\nlanguage = \"de\"{questions}");
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("state"),
        "",
        &support::admin_token_line(),
        &support::room("r", &up.url(), &room),
    ))
    .await;
    let mut v = gw.visitor();
    let form = get_in(&mut v, "/", "tr").await;
    assert!(
        form.body
            .contains("<legend>İlçede mi oturuyorsunuz?</legend>"),
        "{}",
        form.body
    );
    // Not written in Arabic: the room's German, marked as German for a screen reader.
    let form = get_in(&mut v, "/", "ar").await;
    assert!(
        form.body
            .contains("<legend lang=\"de\">Wohnen Sie im Kreis?</legend>"),
        "{}",
        form.body
    );

    // A plain string is the default language's; an object adds any language.
    let a = gw
        .patch("r", r#"{"message": "Heute nur mit Termin"}"#)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = gw
        .patch("r", r#"{"message": {"tr": "Bugün yalnızca randevuyla"}}"#)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = gw.patch("r", r#"{"message": {"sv": "Hej"}}"#).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("message.sv"), "{}", a.body);
    let status = gw
        .admin(
            Method::GET,
            "/api/v1/rooms/r",
            Some(support::ADMIN_TOKEN),
            None,
        )
        .await
        .json();
    assert_eq!(status["message"]["de"], "Heute nur mit Termin");
    assert_eq!(status["message"]["tr"], "Bugün yalnızca randevuyla");
    let missing = status["message_missing"].as_array().unwrap();
    assert!(missing.iter().any(|l| l == "ar") && !missing.iter().any(|l| l == "tr"));
    assert_eq!(status["languages"].as_array().unwrap().len(), SHIPPED.len());

    let mut v = gw.visitor();
    v.set_cookie("wartesaal-lang", "tr");
    assert_eq!(
        v.get_json("/.wartesaal/status?room=r").await.json()["message"],
        "Bugün yalnızca randevuyla"
    );
    v.set_cookie("wartesaal-lang", "ar");
    assert_eq!(
        v.get_json("/.wartesaal/status?room=r").await.json()["message"],
        "Heute nur mit Termin"
    );
    gw.stop().await;
}

/// The waiting page in every shipped language stays under 2 KB as a server compresses it
/// (gzip -9), menu of fourteen languages and all: light on a slow phone.
#[tokio::test]
async fn every_language_keeps_the_page_under_2_kb_compressed() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("gzip").arg("--version").output().is_err() {
        eprintln!("size check skipped: no gzip");
        return;
    }
    let (_up, gw) = support::one_room(
        "admit_per_minute = 1\ntitle = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"",
    )
    .await;
    gw.visitor().get("/").await;
    for (tag, _) in SHIPPED {
        let mut v = gw.visitor();
        v.set_cookie("wartesaal-lang", tag);
        let page = v.get("/termine?slot=früh").await;
        let mut gzip = Command::new("gzip")
            .arg("-9c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        gzip.stdin
            .take()
            .unwrap()
            .write_all(page.body.as_bytes())
            .unwrap();
        let compressed = gzip.wait_with_output().unwrap().stdout.len();
        assert!(compressed < 2048, "{tag}: {compressed} bytes compressed");
    }
    gw.stop().await;
}
