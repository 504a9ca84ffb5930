//! Inner loops of every request: ticket sign and verify, the admission step, a pre-queue
//! ticket's drawn place, the issuance limit and a proof-of-work check. Run with
//! `cargo bench --bench tokens`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use wartesaal::access::ticket::{Keyring, Kind, Secret, Token};
use wartesaal::queue::admission::{Limits, Queue};

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

fn issuance(c: &mut Criterion) {
    use wartesaal::access::issuance::{solve, solves, AddressLimiter};
    use wartesaal::queue::schedule::{Frozen, Order};
    let order = Order::Drawn {
        first: 0,
        frozen: Frozen {
            size: 1_000_000,
            key: [7u8; 32],
        },
        earlier: None,
    };
    let mut seq = 0u64;
    c.bench_function("prequeue_place_of_1m", |b| {
        b.iter(|| {
            seq = (seq + 7919) % 1_000_000;
            order.place(black_box(seq))
        })
    });
    let limiter = AddressLimiter::new(u32::MAX);
    let mut n = 0u32;
    c.bench_function("issuance_limit_check", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            limiter.allow(black_box(std::net::IpAddr::from(n.to_be_bytes())), 1_000)
        })
    });
    let challenge = "A".repeat(63);
    let nonce = solve(&challenge, 16);
    c.bench_function("proof_of_work_verify", |b| {
        b.iter(|| solves(black_box(&challenge), black_box(&nonce), 16))
    });
}

criterion_group!(benches, tokens, admission, issuance);
criterion_main!(benches);
