//! Inner loops of every request: ticket sign and verify, the admission step. Run with
//! `cargo bench --bench tokens`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use wartesaal::admission::{Limits, Queue};
use wartesaal::ticket::{Keyring, Kind, Secret, Token};

fn tokens(c: &mut Criterion) {
    let keys = Keyring::new(vec![Secret::from_bytes([9u8; 32])])
        .expect("one key")
        .for_room("impfzentrum");
    let token = Token {
        kind: Kind::Ticket,
        seq: 123_456,
        expires_at: 2_000_000_000,
        id: 1_700_000_000,
    };
    let text = keys.sign(&token);
    c.bench_function("ticket_sign", |b| b.iter(|| keys.sign(black_box(&token))));
    c.bench_function("ticket_verify", |b| {
        b.iter(|| keys.verify(black_box(&text), 1_800_000_000))
    });
}

fn admission(c: &mut Criterion) {
    let limits = Limits::new(600.0, 0);
    let mut queue = Queue::new(0, &limits);
    let mut now = 0u64;
    c.bench_function("admission_draw", |b| {
        b.iter(|| {
            now += 1;
            queue.draw(black_box(now), &limits, 0)
        })
    });
}

criterion_group!(benches, tokens, admission);
criterion_main!(benches);
