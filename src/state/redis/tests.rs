use crate::queue::schedule::{Frozen, PastDraw};

use super::codec::{decode_prequeue, encode_prequeue, parse_line};
use super::*;

#[test]
fn prequeue_records_survive_their_text_form() {
    let gathering = Prequeue {
        opens_at: 1_795_392_000_000,
        first: 17,
        frozen: None,
        earlier: None,
    };
    let frozen = Prequeue {
        frozen: Some(Frozen {
            size: 40,
            key: [0xa5; 32],
        }),
        ..gathering.clone()
    };
    let next = Prequeue {
        opens_at: 1_795_478_400_000,
        first: 57,
        frozen: None,
        earlier: Some(PastDraw {
            opens_at: frozen.opens_at,
            first: 17,
            frozen: frozen.frozen.unwrap(),
        }),
    };
    for p in [None, Some(&gathering), Some(&frozen), Some(&next)] {
        assert_eq!(decode_prequeue(&encode_prequeue(p)).as_ref(), p);
    }
    assert_eq!(decode_prequeue("1,2,3,zz"), Some(gathering_at(1, 2)));
    assert_eq!(decode_prequeue("x"), None);
}

fn gathering_at(opens_at: Millis, first: u64) -> Prequeue {
    Prequeue {
        opens_at,
        first,
        frozen: None,
        earlier: None,
    }
}

#[test]
fn a_line_is_read_from_redis_fields() {
    let flat: Vec<String> = [
        ("epoch", "2"),
        ("started_at", "1795392000"),
        ("issued", "120"),
        ("cursor", "100"),
        ("allow", "0"),
        ("settings", r#"{"state":"paused"}"#),
        ("settings_v", "3"),
        ("pq", "1795392000000,10,5,"),
        ("pace", "60"),
        ("share", "0.8"),
        ("adaptive_rate", ""),
    ]
    .iter()
    .flat_map(|(k, v)| [k.to_string(), v.to_string()])
    .collect();
    let line = parse_line(&flat);
    assert_eq!((line.origin.epoch, line.issued, line.cursor), (2, 120, 100));
    assert_eq!(line.settings.state, crate::state::OperatorState::Paused);
    assert_eq!(line.prequeue, Some(gathering_at(1_795_392_000_000, 10)));
    assert_eq!(line.adaptive_rate, None);
    assert_eq!(line.share, 0.8);
    // Garbage is read as nothing, never a panic.
    let junk = parse_line(&["issued".into(), "-5".into(), "pq".into()]);
    assert_eq!(junk.issued, 0);
}

#[test]
fn key_names_stay_what_running_gateways_use() {
    // Gateways of two versions share one Redis during a rolling update: a renamed key would
    // split the room in two.
    let k = Keys::new("wq", "r");
    let names = [
        &k.line,
        &k.sessions.active,
        &k.sessions.started,
        &k.sessions.passes,
        &k.sessions.ended,
        &k.sessions.endlog,
        &k.lease,
        &k.arrivals,
        &k.claims.by_place,
        &k.claims.asked_at,
        &k.addresses[0],
        &k.addresses[1],
        &k.challenges,
        &k.invitations,
        &k.jumps,
        &k.letters.by_ticket,
        &k.letters.queue,
        &k.letters.written,
    ];
    let expected = [
        "line",
        "sessions",
        "started",
        "passes",
        "ended",
        "endlog",
        "lease",
        "arrivals",
        "claims",
        "claimed_at",
        "addresses:0",
        "addresses:1",
        "challenges",
        "invitations",
        "jumps",
        "letters",
        "letters:queue",
        "written:by-seq",
    ];
    for (name, suffix) in names.iter().zip(expected) {
        assert_eq!(**name, format!("{{wq:r}}:{suffix}"));
    }
}
