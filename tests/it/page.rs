//! The waiting page itself: its weight, its language switch and time zone, and the operator's
//! own templates (a broken one is a config error, never a broken page).

use std::path::Path;

use http::StatusCode;
use wartesaal::access::ticket::Secret;
use wartesaal::config::{Config, KeySource};

use crate::support;

/// A config as `check`, a start and a reload read it: the file, then the rooms' templates.
fn load(text: &str) -> Result<Config, wartesaal::config::ConfigError> {
    let config = Config::from_toml(
        text,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(support::SECRET)]),
    )?;
    wartesaal::page::templates::load_rooms(&config)?;
    Ok(config)
}

/// The shipped example templates, copied to a fresh directory.
fn template_dir(name: &str) -> std::path::PathBuf {
    let dir = support::temp_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates");
    for file in ["waiting.html", "notice.html", "questions.html", "form.html"] {
        std::fs::copy(shipped.join(file), dir.join(file)).unwrap();
    }
    dir
}

#[tokio::test]
async fn the_whole_page_with_its_style_and_script_stays_under_30_kb() {
    let (_up, gw) =
        support::one_room("admit_per_minute = 1\ntitle = \"Impfzentrum EN-Kreis\"").await;
    let mut first = gw.visitor();
    first.get("/").await;
    let mut v = gw.visitor();
    let page = v.get("/termine?slot=früh").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"ws-position\""));
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no external resource"
    );
    let css = v.get("/.wartesaal/assets/wartesaal.css").await.body;
    let js = v.get("/.wartesaal/assets/wartesaal.js").await.body;
    let total = page.body.len() + css.len() + js.len();
    assert!(total < 30 * 1024, "{total} bytes");
    gw.stop().await;
}

#[tokio::test]
async fn the_language_switch_remembers_the_choice_and_returns_to_the_page() {
    let (_up, gw) =
        support::one_room("admit_per_minute = 1\nlanguage = \"de\"\ntime_zone = \"Europe/Berlin\"")
            .await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    let page = v.get("/termine?x=1&y=2").await;
    assert!(page.body.contains("<html lang=\"de\""));
    // The menu is a form that names the way back once: it works without JavaScript.
    let menu = "<form method=\"get\" action=\"/.wartesaal/lang\">\
                <input type=\"hidden\" name=\"back\" value=\"/termine?x=1&amp;y=2\">";
    assert!(page.body.contains(menu), "{}", page.body);
    assert!(page
        .body
        .contains("<button name=\"to\" value=\"en\" lang=\"en\" dir=\"ltr\">English</button>"));
    // Support::upstream runs at 2026-11-23 00:00 UTC: 01:00 in Berlin (winter time).
    assert!(page.body.contains(">01:00 Uhr</time>"), "{}", page.body);

    let switch = v
        .get("/.wartesaal/lang?to=en&back=/termine%3Fx%3D1%26y%3D2")
        .await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header("location"), Some("/termine?x=1&y=2"));
    assert!(switch
        .header("set-cookie")
        .unwrap()
        .starts_with("wartesaal-lang=en; Path=/;"));
    let page = v.get("/termine?x=1&y=2").await;
    assert!(
        page.body.contains("<html lang=\"en\""),
        "the choice beats Accept-Language"
    );
    assert!(page.body.contains(">01:00</time>"), "{}", page.body);
    let status = v.status("r").await;
    let eta = status["eta_text"].as_str().unwrap();
    assert!(
        !eta.contains("etwa") && !eta.contains("weniger"),
        "in English: {eta}"
    );

    // Never a way off the site.
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "/%5Cevil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "%2F%2Fevil.example",
    ] {
        let a = v.get(&format!("/.wartesaal/lang?to=de&back={back}")).await;
        assert_eq!(a.header("location"), Some("/"), "{back}");
    }
    let a = v.get("/.wartesaal/lang?to=xx&back=/").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    gw.stop().await;
}

#[tokio::test]
async fn an_operator_template_is_served_and_a_broken_one_is_a_config_error() {
    let dir = template_dir("templates");
    let waiting = dir.join("waiting.html");
    let branded = std::fs::read_to_string(&waiting)
        .unwrap()
        .replace("<h1>", "<p class=\"brand\">Stadt Musterhausen</p>\n<h1>");
    std::fs::write(&waiting, &branded).unwrap();
    let up = support::upstream().await;
    let rooms = |dir: &Path| {
        support::room(
            "r",
            &up.url(),
            &format!(
                "admit_per_minute = 1\ntitle = \"Bürgeramt <Mitte>\"\ntemplate_dir = \"{}\"",
                dir.display()
            ),
        )
    };
    let gw = support::gateway(&support::config_text("", &rooms(&dir))).await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    let page = v.get("/termine").await;
    assert!(page.body.contains("Stadt Musterhausen"), "{}", page.body);
    assert!(
        page.body.contains("Bürgeramt &lt;Mitte&gt;"),
        "escaped: {}",
        page.body
    );
    assert!(
        page.body.contains("id=\"ws-position\">1</p>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-tz=\"\""),
        "no zone named: UTC, and the script says so"
    );

    // Broken in three ways: each a config error naming the key, the file and the line.
    let text = support::config_text("", &rooms(&dir));
    let problem = |source: &str| {
        std::fs::write(&waiting, source).unwrap();
        load(&text).unwrap_err().to_string()
    };
    let syntax = problem("<p>{% if position %}</p>");
    assert!(
        syntax.contains("rooms[0].template_dir") && syntax.contains("waiting.html, line 1"),
        "{syntax}"
    );
    let typo = problem("<p>\n{{ positon_text }}</p>");
    assert!(
        typo.contains("waiting.html, line 2") && typo.contains("undefined"),
        "{typo}"
    );
    let none = problem("{{ position_text|upper }}{{ ahead + 1 }}");
    assert!(
        none.contains("rooms[0].template_dir"),
        "fails on a state without a place: {none}"
    );
    let err = load(&support::config_text(
        "",
        &rooms(Path::new("/nonexistent/templates")),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("cannot read /nonexistent/templates"), "{err}");

    // A reload reads the config, and with it the templates, anew: a broken one never gets as
    // far as the running gateway, which keeps the templates it loaded...
    let page = v.get("/termine").await;
    assert!(page.body.contains("Stadt Musterhausen"));
    // ...and a mended one is served from the reload on.
    std::fs::write(&waiting, branded.replace("Musterhausen", "Neustadt")).unwrap();
    let mut gw = gw;
    gw.running.reload(load(&text).unwrap()).unwrap();
    let page = v.get("/termine").await;
    assert!(page.body.contains("Stadt Neustadt"), "{}", page.body);
    gw.stop().await;
}

#[tokio::test]
async fn the_shipped_templates_show_the_supply_and_ask_the_questions() {
    let dir = template_dir("templates-supply");
    let questions = dir.join("questions.html");
    let branded = std::fs::read_to_string(&questions)
        .unwrap()
        .replace("<h1>", "<p class=\"brand\">Stadt Musterhausen</p>\n<h1>");
    std::fs::write(&questions, branded).unwrap();
    let up = support::upstream().await;
    let rooms = [
        support::room(
            "r",
            &up.url(),
            &format!(
                "admit_per_minute = 1\ntemplate_dir = \"{}\"\n[rooms.supply]\nappointments = 1200\n",
                dir.display()
            ),
        ),
        support::room(
            "f",
            &up.url(),
            &format!(
                "path_prefix = \"/fragen/\"\nadmit_per_minute = 1\ntemplate_dir = \"{}\"\n\
                 [[rooms.eligibility]]\nde = \"Wohnen Sie hier?\"\nen = \"Do you live here?\"\n",
                dir.display()
            ),
        ),
    ];
    let gw = support::gateway(&support::config_text("", &rooms.concat())).await;
    gw.visitor().get("/").await;
    let page = gw.visitor().get("/").await;
    assert!(
        page.body
            .contains("id=\"ws-supply\">Es sind noch etwa 1.200 Termine frei."),
        "{}",
        page.body
    );
    assert!(page.body.contains("ws-chance-unknown"), "{}", page.body);
    let form = gw.visitor().get("/fragen/").await;
    assert!(form.body.contains("Stadt Musterhausen"), "{}", form.body);
    assert!(form.body.contains("Wohnen Sie hier?") && form.body.contains("name=\"q1\""));
    gw.stop().await;
}

#[tokio::test]
async fn a_return_address_with_other_letters_is_sent_back_percent_encoded() {
    let (_up, gw) = support::one_room("admit_per_minute = 1").await;
    let mut v = gw.visitor();
    let a = v
        .get("/.wartesaal/lang?to=en&back=/termine/%C3%BCbersicht")
        .await;
    assert_eq!(a.header("location"), Some("/termine/%C3%BCbersicht"));
    gw.stop().await;
}

#[tokio::test]
async fn the_shipped_form_template_serves_the_code_forms_and_the_email_answer() {
    let dir = template_dir("templates-form");
    let form = dir.join("form.html");
    let branded = std::fs::read_to_string(&form)
        .unwrap()
        .replace("<h1>", "<p class=\"brand\">Stadt Musterhausen</p>\n<h1>");
    std::fs::write(&form, branded).unwrap();
    let up = support::upstream().await;
    let rooms = support::room(
        "r",
        &up.url(),
        &format!(
            "admit_per_minute = 1\ntemplate_dir = \"{}\"\n[rooms.notify]\n\
             smtp_url = \"smtp://127.0.0.1:9\"\nfrom = \"termine@example.de\"\n\
             public_url = \"https://termine.example.de\"",
            dir.display()
        ),
    );
    let gw = support::gateway(&support::config_text("", &rooms)).await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    v.get("/").await;
    let restore = v.get("/.wartesaal/restore?room=r").await;
    assert!(
        restore.body.contains("Stadt Musterhausen"),
        "{}",
        restore.body
    );
    assert!(restore.body.contains("name=\"code\"") && restore.body.contains("id=\"ws-restore\""));
    let wrong = v.post("/.wartesaal/restore?room=r", "code=ABCD").await;
    assert_eq!(wrong.status, http::StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Stadt Musterhausen") && wrong.body.contains("ws-error"));
    let noted = v
        .post("/.wartesaal/notify?room=r", "email=ann%40example.org")
        .await;
    assert_eq!(noted.status, http::StatusCode::OK, "{}", noted.body);
    assert!(noted.body.contains("Stadt Musterhausen"), "{}", noted.body);
    assert!(noted.body.contains("ann@example.org") && noted.body.contains("role=\"status\""));
    let invalid = v.post("/.wartesaal/notify?room=r", "email=nope").await;
    assert!(
        invalid.body.contains("name=\"email\""),
        "the field again: {}",
        invalid.body
    );
    gw.stop().await;
}
