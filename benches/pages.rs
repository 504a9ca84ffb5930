//! What a waiting visitor's request costs besides HTTP: the admission decision (the room's
//! figures and `decide`), the status JSON and the waiting page. Run with
//! `cargo bench --bench pages`.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use wartesaal::access::ticket::{Kind, Secret, Token};
use wartesaal::config::{Config, KeySource, Lang};
use wartesaal::gateway::decide;
use wartesaal::page::templates::sample_views;
use wartesaal::page::{self, WaitingPage};
use wartesaal::queue::admission::Limits;
use wartesaal::state::embedded::EmbeddedState;
use wartesaal::state::RoomState;

const NOW_MS: u64 = 1_800_000_000_000;

fn decision(c: &mut Criterion) {
    let state = EmbeddedState::new(NOW_MS, Limits::new(600.0, 0));
    let mut now = NOW_MS;
    let token = Token {
        kind: Kind::Ticket,
        seq: 0,
        expires_at: NOW_MS / 1000 + 900,
        id: NOW_MS / 1000,
    };
    c.bench_function("admission_decision", |b| {
        b.iter(|| {
            now += 1;
            let figures = state.figures(black_box(now));
            decide(black_box(Some(&token)), false, &figures)
        })
    });
}

fn pages(c: &mut Criterion) {
    let config = Config::from_toml(
        "[[rooms]]\nid = \"impfzentrum\"\nupstream = \"http://127.0.0.1:8081\"\n\
         title = \"Impfzentrum EN-Kreis\"\ntime_zone = \"Europe/Berlin\"\n\
         admit_per_minute = 600\n",
        Path::new("bench.toml"),
        KeySource::Given(vec![Secret::from_bytes([9u8; 32])]),
    )
    .expect("a valid config");
    let room = &config.rooms[0];
    // A visitor waiting in an open room, with the operator's message: the page's busiest state.
    let views = sample_views(room, Lang::DE);
    let view = &views[0];
    c.bench_function("status_json", |b| b.iter(|| black_box(view).to_json()));
    c.bench_function("waiting_page_render", |b| {
        b.iter(|| {
            let words = WaitingPage::new(room, Lang::DE, black_box(view), NOW_MS / 1000, "/");
            page::waiting_page(None, &words)
        })
    });
}

criterion_group!(benches, decision, pages);
criterion_main!(benches);
