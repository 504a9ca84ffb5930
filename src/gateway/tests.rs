use http::header::{self, HeaderValue};
use http::Request;

use super::decide::*;
use super::hygiene::*;
use crate::access::ticket::{Kind, Token};
use crate::queue::admission::{self, Limits};
use crate::queue::schedule::{self, Phase, Place};
use crate::site::path::*;
use crate::state::{Figures, Gap, HandedOut, Movement, Numbering};

fn figures(issued: u64, cursor: u64) -> Figures {
    Figures {
        numbering: Numbering {
            started_at: 0,
            base: 0,
            handed_out: HandedOut::Below(issued),
        },
        held: false,
        queue_all: false,
        issued,
        cursor,
        gap: Gap::default(),
        claimed: 0,
        active: 0,
        limits: Limits::new(60.0, 0),
        state: crate::state::OperatorState::Open,
        movement: Movement {
            pace: admission::Pace {
                per_minute: 60.0,
                spread: 0.0,
            },
            show_share: 1.0,
            caught_up: 0,
        },
        adaptive: None,
        phase: Phase::Open,
        order: schedule::Order::Fifo,
        supply: None,
    }
}

fn token(kind: Kind, seq: u64) -> Token {
    Token {
        kind,
        seq,
        expires_at: u64::MAX,
        id: 5,
    }
}

#[test]
fn decisions() {
    let f = figures(100, 50);
    assert_eq!(decide(None, false, &f), Decision::Draw);
    assert_eq!(
        decide(Some(&token(Kind::Pass, 3)), true, &f),
        Decision::Proxy { session: 5, seq: 3 }
    );
    assert_eq!(
        decide(Some(&token(Kind::Pass, 3)), false, &f),
        Decision::Draw
    );
    assert_eq!(
        decide(Some(&token(Kind::Ticket, 49)), false, &f),
        Decision::Admit { seq: 49, place: 49 }
    );
    assert_eq!(
        decide(Some(&token(Kind::Ticket, 50)), false, &f),
        Decision::Wait {
            ticket: token(Kind::Ticket, 50),
            place: Place::At(50)
        }
    );
    assert_eq!(
        decide(Some(&token(Kind::Ticket, 100)), false, &f),
        Decision::Draw
    );
    let restarted = Figures {
        numbering: Numbering {
            started_at: 6,
            ..f.numbering
        },
        ..f
    };
    assert_eq!(
        decide(Some(&token(Kind::Ticket, 10)), false, &restarted),
        Decision::Draw,
        "a ticket from before this line began"
    );
}

#[test]
fn control_characters_in_paths_are_found_as_is_and_encoded() {
    for bad in [
        "/termine%00/x",
        "/a%1fb",
        "/a%7F",
        "/a\u{1}b",
        "/%0d%0aSet-Cookie:x",
    ] {
        assert!(has_control_bytes(bad), "{bad}");
    }
    for good in ["/termine/x", "/a%20b", "/%41", "/100%", "/a%2", "/%zz"] {
        assert!(!has_control_bytes(good), "{good}");
    }
}

#[test]
fn host_parsing() {
    let req = |h: &str| Request::builder().header("host", h).body(()).unwrap();
    assert_eq!(
        request_host(&req("Example.ORG:8080")).unwrap(),
        "example.org"
    );
    assert_eq!(request_host(&req("[::1]:80")).unwrap(), "::1");
    assert!(request_host(&req(&"a".repeat(300))).is_err());
    assert!(request_host(&req("a b")).is_err());
    assert!(request_host(&Request::builder().body(()).unwrap()).is_err());
}

#[test]
fn ambiguous_paths_are_never_bypassed() {
    assert!(path_has_dot_segments("/static/../booking"));
    assert!(!path_has_dot_segments("/static/..x"));
    assert!(!path_is_plain("/static/%2e%2e/booking"));
    assert!(!path_is_plain("/static\\..\\booking"));
    assert!(path_is_plain("/static/app.css"));
    assert!(!path_is_plain("/a//b") && !path_is_plain("//") && !path_is_plain("/x;y"));
    assert!(path_is_plain("/") && path_is_plain("/a/b/"));
    assert!(!path_is_plain("/static.") && !path_is_plain("/static./app.css"));
    assert!(path_is_plain("/static/app.v2.css"));
}

#[test]
fn protected_prefix_catches_every_spelling() {
    for path in [
        "/termine/buchen",
        "/TERMINE/buchen",
        "/%74ermine/buchen",
        "//termine/buchen",
        "/termine;jsessionid=1/buchen",
        "/x/%2e%2e/termine/buchen",
        "/x/%252e%252e/termine/",
        "/termine",
        "/x\\..\\termine/",
        // What Windows and IIS read as `/termine/`: trailing dots and spaces.
        "/termine.",
        "/termine./",
        "/termine%20/",
        "/termine.%20./buchen",
        "/Termine%2e/",
    ] {
        assert!(RequestPath::new(path).matches_prefix("/termine/"), "{path}");
    }
    for path in ["/impressum", "/termineX", "/static/termine/"] {
        assert!(
            !RequestPath::new(path).matches_prefix("/termine/"),
            "{path}"
        );
    }
}

#[test]
fn bypass_prefixes_match_at_segment_boundaries() {
    assert!(starts_at_segment("/favicon.ico", "/favicon.ico"));
    assert!(!starts_at_segment("/favicon.icox", "/favicon.ico"));
    assert!(starts_at_segment("/static/a.css", "/static/"));
    assert!(starts_at_segment("/static/a.css", "/static"));
    assert!(!starts_at_segment("/staticx", "/static"));
    assert!(!path_is_plain("/static/..;/termine"));
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any path an upstream would read as being under the prefix is caught by it,
        /// however it is spelt; and no path makes routing panic.
        #[test]
        fn every_spelling_under_the_prefix_is_caught(
            raw in "(/(termine|TeRmine|%74ermine|%2574ermine|x|%2e%2e|%2E|;a|[\\\\]|)){1,6}/?",
            noise in "[ -~]{0,40}",
        ) {
            let _ = RequestPath::new(&noise).matches_prefix("/termine/");
            prop_assume!(!path_has_dot_segments(&raw));
            if canonical_path(&raw).to_ascii_lowercase().starts_with("/termine/") {
                prop_assert!(RequestPath::new(&raw).matches_prefix("/termine/"), "{}", raw);
            }
        }

        /// Any Host header bytes: an answer, never a panic, and an accepted name is clean.
        #[test]
        fn host_headers_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let Ok(value) = HeaderValue::from_bytes(&raw) else {
                return Ok(());
            };
            let req = Request::builder().header(header::HOST, value).body(()).unwrap();
            if let Ok(host) = request_host(&req) {
                prop_assert!(!host.is_empty() && host.len() <= MAX_HOST_LEN);
                prop_assert!(host.bytes().all(|b| !b.is_ascii_uppercase()));
            }
        }
    }
}
