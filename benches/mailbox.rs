//! Cross-executor messaging: shoal's mailbox mesh against glommio's bounded `shared_channel`,
//! between two glommio executors, pinned to CPUs 0 and 1 or unpinned.
//!
//! Patterns (u64 messages, lanes of 1024 messages):
//! - `ping_pong`: one message each way per iteration; both sides park in between, so this is
//!   the round-trip latency including two cross-thread wakes.
//! - `batch64`: 64 messages one way, then one acknowledgement back; one wake per batch each
//!   way. Criterion's time is per batch; its throughput line counts messages.
//! - `stream`: 64 messages per iteration one way with backpressure (`send().await`), no
//!   acknowledgement until the end; the receiver is mostly busy, so wakes are rare.
//!
//! Results: criterion medians, three full runs (median of the three, then the range), release
//! build, on a 2-vCPU VM whose load average stayed at 4-6 from other jobs, so the numbers are
//! noisy, pinned ones most (a pinned executor cannot flee a busy CPU):
//!
//! | pattern                  | mailbox unpinned   | channel unpinned    | mailbox pinned      | channel pinned      |
//! |--------------------------|--------------------|---------------------|---------------------|---------------------|
//! | ping_pong, µs/round trip | 35.0 (29.3-36.1)   | 101.5 (85.1-101.8)  | 223.7 (204.5-258.5) | 214.6 (131.8-228.3) |
//! | batch64, µs/batch        | 58.1 (52.4-58.8)   | 101.7 (95.1-110.0)  | 217.7 (159.5-250.6) | 160.8 (144.5-285.3) |
//! | stream, µs/64 messages   | 6.39 (6.14-9.02)   | 5.56 (4.94-7.75)    | 7.39 (6.88-9.76)    | 6.47 (5.26-16.15)   |
//!
//! (In a quieter minute, stream was ~33-43 ns/message for the mailbox against ~23-26 ns for
//! the channel, ping_pong ~60 µs for both.)
//!
//! Conclusion: shoal uses the mailbox. Wherever a wake is involved (ping_pong, batch64: the
//! shape of a command sent to another shard and its reply) it is 1.7-2.9x faster unpinned:
//! `shared_channel` also writes the *sender's* eventfd on every receive if that executor
//! sleeps (to signal room), so a requester waiting for its reply is likely woken once for
//! nothing. Only the wake-free
//! stream favours the channel, by ~15%: its SPSC ring has no atomic read-modify-writes, while
//! `ArrayQueue` does a CAS per push and per pop and the mailbox adds a SeqCst fence per send;
//! shoal should send one message per batch of commands anyway. The mailbox also gives a single
//! fair `recv` over all sources, where channels need one receiver per peer. Pinned runs are
//! dominated by the other jobs on the machine and show no consistent winner.
//!
//! Each sample starts a fresh pair of executors (outside the timed part) and lets the driving
//! executor time `iters` repetitions itself, since the work happens on other threads.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_lite::future;
use glommio::channels::shared_channel::{
    self, ConnectedReceiver, ConnectedSender, SharedReceiver, SharedSender,
};
use glommio::{LocalExecutorBuilder, Placement};
use shoal::runtime::mailbox::{Endpoint, Mesh};

/// Capacity of each lane or channel, the same for both implementations.
const QUEUE_MESSAGES_MAX: usize = 1024;
/// Messages per batch in the `batch64` and `stream` patterns.
const BATCH_MESSAGES: u64 = 64;
/// Tells the responder to acknowledge and exit.
const STOP: u64 = u64::MAX;
/// Echoed in every pattern: proves the responder is up before the clock starts.
const HELLO: u64 = u64::MAX - 1;

#[derive(Clone, Copy)]
enum Pattern {
    PingPong,
    Batch,
    Stream,
}

/// One side of a two-thread link, whatever carries the messages.
trait Side {
    fn try_send(&self, msg: u64) -> Result<(), u64>;
    async fn send(&self, msg: u64);
    async fn recv(&self) -> u64;
}

/// What crosses to the executor thread before the link is usable there.
trait Unconnected: Send + 'static {
    type Side: Side;
    async fn connect(self) -> Self::Side;
}

struct MailboxSide {
    endpoint: Endpoint<u64>,
    peer: usize,
}

impl Unconnected for MailboxSide {
    type Side = Self;
    async fn connect(self) -> Self {
        self
    }
}

impl Side for MailboxSide {
    fn try_send(&self, msg: u64) -> Result<(), u64> {
        self.endpoint.try_send(self.peer, msg)
    }
    async fn send(&self, msg: u64) {
        self.endpoint.send(self.peer, msg).await
    }
    async fn recv(&self) -> u64 {
        self.endpoint.recv().await
    }
}

struct ChannelUnconnected(SharedSender<u64>, SharedReceiver<u64>);

struct ChannelSide(ConnectedSender<u64>, ConnectedReceiver<u64>);

impl Unconnected for ChannelUnconnected {
    type Side = ChannelSide;
    async fn connect(self) -> ChannelSide {
        // Concurrently: each connect waits for the peer's end of the same channel, so two
        // executors connecting their senders first would wait on each other forever.
        let (sender, receiver) = future::zip(self.0.connect(), self.1.connect()).await;
        ChannelSide(sender, receiver)
    }
}

impl Side for ChannelSide {
    fn try_send(&self, msg: u64) -> Result<(), u64> {
        self.0.try_send(msg).map_err(|_| msg)
    }
    async fn send(&self, msg: u64) {
        self.0.send(msg).await.expect("channel open");
    }
    async fn recv(&self) -> u64 {
        self.1.recv().await.expect("channel open")
    }
}

fn mailbox_pair() -> (MailboxSide, MailboxSide) {
    let mesh = Mesh::new(2, QUEUE_MESSAGES_MAX);
    let driver = MailboxSide {
        endpoint: mesh.endpoint(0),
        peer: 1,
    };
    let responder = MailboxSide {
        endpoint: mesh.endpoint(1),
        peer: 0,
    };
    (driver, responder)
}

fn channel_pair() -> (ChannelUnconnected, ChannelUnconnected) {
    let (to_responder, from_driver) = shared_channel::new_bounded(QUEUE_MESSAGES_MAX);
    let (to_driver, from_responder) = shared_channel::new_bounded(QUEUE_MESSAGES_MAX);
    (
        ChannelUnconnected(to_responder, from_responder),
        ChannelUnconnected(to_driver, from_driver),
    )
}

/// Times `iters` repetitions of `pattern` on the driving side.
async fn drive(side: impl Side, pattern: Pattern, iters: u64) -> Duration {
    side.try_send(HELLO).unwrap();
    assert_eq!(side.recv().await, HELLO);
    let start = Instant::now();
    match pattern {
        Pattern::PingPong => {
            for i in 0..iters {
                side.try_send(i).unwrap();
                black_box(side.recv().await);
            }
        }
        Pattern::Batch => {
            for i in 0..iters {
                for j in 0..BATCH_MESSAGES {
                    side.try_send(i * BATCH_MESSAGES + j).unwrap();
                }
                black_box(side.recv().await);
            }
        }
        Pattern::Stream => {
            for i in 0..iters * BATCH_MESSAGES {
                side.send(i).await;
            }
        }
    }
    let mut elapsed = start.elapsed();
    side.send(STOP).await;
    assert_eq!(side.recv().await, STOP);
    if let Pattern::Stream = pattern {
        // The stream is done when the responder has seen all of it.
        elapsed = start.elapsed();
    }
    elapsed
}

/// Answers the driver: echoes pings, acknowledges batches, swallows the stream.
async fn respond(side: impl Side, pattern: Pattern) {
    loop {
        let msg = side.recv().await;
        let reply = match (msg, pattern) {
            (STOP | HELLO, _) | (_, Pattern::PingPong) => true,
            (_, Pattern::Batch) => msg % BATCH_MESSAGES == BATCH_MESSAGES - 1,
            (_, Pattern::Stream) => false,
        };
        if reply {
            // The driver waits for each reply, so there is always room.
            side.try_send(msg).unwrap();
        }
        if msg == STOP {
            return;
        }
    }
}

/// One sample: a fresh executor pair, timed by the driver.
fn run<U: Unconnected>(pair: (U, U), pattern: Pattern, pinned: bool, iters: u64) -> Duration {
    let (driver, responder) = pair;
    let placement = |cpu| {
        if pinned {
            Placement::Fixed(cpu)
        } else {
            Placement::Unbound
        }
    };
    let responder = LocalExecutorBuilder::new(placement(1))
        .name("bench-responder")
        .spawn(move || async move { respond(responder.connect().await, pattern).await })
        .unwrap();
    let driver = LocalExecutorBuilder::new(placement(0))
        .name("bench-driver")
        .spawn(move || async move { drive(driver.connect().await, pattern, iters).await })
        .unwrap();
    let elapsed = driver.join().unwrap();
    responder.join().unwrap();
    elapsed
}

fn bench(c: &mut Criterion) {
    let patterns = [
        ("ping_pong", Pattern::PingPong, 1),
        ("batch64", Pattern::Batch, BATCH_MESSAGES),
        ("stream", Pattern::Stream, BATCH_MESSAGES),
    ];
    for (name, pattern, messages) in patterns {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(messages));
        for pinned in [false, true] {
            let placement = if pinned { "pinned" } else { "unpinned" };
            group.bench_function(format!("mailbox/{placement}"), |b| {
                b.iter_custom(|iters| run(mailbox_pair(), pattern, pinned, iters))
            });
            group.bench_function(format!("shared_channel/{placement}"), |b| {
                b.iter_custom(|iters| run(channel_pair(), pattern, pinned, iters))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
