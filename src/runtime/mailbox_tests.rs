//! Mailbox tests: the park protocol under races, stress over several executors, full
//! lanes and wake counts.

use super::*;
use futures_lite::future::yield_now;
use glommio::{LocalExecutorBuilder, Placement};
use std::rc::Rc;
use std::sync::mpsc;
use std::task::Wake;

/// Counts wakes, to check that senders wake only a parked receiver.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// xorshift64*: the tests need cheap, reproducible randomness and no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Body = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

fn body<F, Fut>(f: F) -> Body
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    Box::new(move || Box::pin(f()) as Pin<Box<dyn Future<Output = ()>>>)
}

/// Runs one glommio executor per body and fails (instead of hanging) if they have not all
/// finished within `limit_secs`.
fn run_executors(limit_secs: u64, bodies: Vec<Body>) {
    let handles: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            LocalExecutorBuilder::new(Placement::Unbound)
                .name(&format!("mailbox-test-{i}"))
                .spawn(body)
                .expect("spawn executor")
        })
        .collect();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        let _ = done_tx.send(results);
    });
    let results = done_rx
        .recv_timeout(Duration::from_secs(limit_secs))
        .expect("executors hung: a wake-up was lost or send() never completed");
    for result in results {
        result.expect("executor failed");
    }
}

#[test]
fn try_send_and_try_recv_in_order_and_bounded() {
    let mesh = Mesh::<u32>::new(2, 3);
    let a = mesh.endpoint(0);
    let b = mesh.endpoint(1);
    assert_eq!((a.index(), b.index(), a.threads()), (0, 1, 2));
    for i in 0..3 {
        assert_eq!(a.try_send(1, i), Ok(()));
    }
    assert_eq!(a.try_send(1, 99), Err(99));
    assert_eq!(b.try_recv(), Some(0));
    assert_eq!(a.try_send(1, 3), Ok(()));
    assert_eq!(a.try_send(1, 98), Err(98));
    for i in 1..4 {
        assert_eq!(b.try_recv(), Some(i));
    }
    assert_eq!(b.try_recv(), None);
    // Wrap around the ring many times.
    for i in 0..1000 {
        a.try_send(1, i).unwrap();
        assert_eq!(b.try_recv(), Some(i));
    }
    // A thread may send to itself.
    a.try_send(0, 7).unwrap();
    assert_eq!(a.try_recv(), Some(7));
}

#[test]
fn try_recv_takes_sources_in_turn() {
    let mesh = Mesh::<(usize, u32)>::new(3, 8);
    let eps: Vec<_> = (0..3).map(|i| mesh.endpoint(i)).collect();
    for (from, ep) in eps.iter().enumerate() {
        for i in 0..3 {
            ep.try_send(0, (from, i)).unwrap();
        }
    }
    let got: Vec<_> = std::iter::from_fn(|| eps[0].try_recv()).collect();
    let sources: Vec<_> = got.iter().map(|&(from, _)| from).collect();
    assert_eq!(sources, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
#[should_panic(expected = "already taken")]
fn second_endpoint_for_a_thread_panics() {
    let mesh = Mesh::<u32>::new(2, 4);
    let _first = mesh.endpoint(1);
    let _second = mesh.endpoint(1);
}

#[test]
fn endpoint_can_be_taken_again_after_drop() {
    let mesh = Mesh::<u32>::new(2, 2);
    let a = mesh.endpoint(0);
    let b = mesh.endpoint(1);
    a.try_send(1, 1).unwrap();
    a.try_send(1, 2).unwrap();
    drop(a);
    let a = mesh.endpoint(0);
    assert_eq!(a.try_send(1, 3), Err(3));
    assert_eq!(b.try_recv(), Some(1));
    drop(b);
    let b = mesh.endpoint(1);
    assert_eq!(b.try_recv(), Some(2));
    assert_eq!(b.try_recv(), None);
}

#[test]
fn sender_wakes_only_a_parked_receiver() {
    let mesh = Mesh::<u32>::new(2, 8);
    let a = mesh.endpoint(0);
    let b = mesh.endpoint(1);
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let wakes = || counter.0.load(Ordering::SeqCst);

    // Not parked: no wake.
    a.try_send(1, 1).unwrap();
    assert_eq!(wakes(), 0);
    let mut recv = Box::pin(b.recv());
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(1));
    drop(recv);

    // Parked: exactly one wake however many messages follow.
    let mut recv = Box::pin(b.recv());
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Pending);
    a.try_send(1, 2).unwrap();
    a.try_send(1, 3).unwrap();
    assert_eq!(wakes(), 1);
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(2));
    drop(recv);
    assert_eq!(b.try_recv(), Some(3));

    // A receiver that stopped waiting is not woken.
    let mut recv = Box::pin(b.recv());
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Pending);
    drop(recv);
    a.try_send(1, 4).unwrap();
    assert_eq!(wakes(), 1);
}

#[test]
fn room_waiter_is_woken_once_half_the_lane_is_free() {
    let mesh = Mesh::<u32>::new(2, 4);
    let a = mesh.endpoint(0);
    let b = mesh.endpoint(1);
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let wakes = || counter.0.load(Ordering::SeqCst);

    for i in 0..4 {
        a.try_send(1, i).unwrap();
    }
    let mut room = Box::pin(WaitForRoom {
        endpoint: &a,
        to: 1,
    });
    assert_eq!(room.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(b.try_recv(), Some(0));
    assert_eq!(wakes(), 0, "3 of 4 still queued: too early to wake");
    assert_eq!(b.try_recv(), Some(1));
    assert_eq!(wakes(), 1);
    assert_eq!(room.as_mut().poll(&mut cx), Poll::Ready(()));
    drop(room);

    // A receiver that parks lets a waiting sender go even above the half mark.
    for i in 4..6 {
        a.try_send(1, i).unwrap();
    }
    let mut room = Box::pin(WaitForRoom {
        endpoint: &a,
        to: 1,
    });
    assert_eq!(room.as_mut().poll(&mut cx), Poll::Pending);
    for i in 2..6 {
        assert_eq!(b.try_recv(), Some(i));
    }
    assert_eq!(wakes(), 2);
}

#[test]
fn send_to_full_lane_completes_once_drained_same_thread() {
    let mesh = Mesh::<u32>::new(1, 2);
    run_executors(
        20,
        vec![body(move || async move {
            let ep = Rc::new(mesh.endpoint(0));
            ep.try_send(0, 0).unwrap();
            ep.try_send(0, 1).unwrap();
            assert_eq!(ep.try_send(0, 2), Err(2));
            let sender = glommio::spawn_local({
                let ep = Rc::clone(&ep);
                async move {
                    for i in 2..1000 {
                        ep.send(0, i).await;
                    }
                }
            });
            for i in 0..1000 {
                assert_eq!(ep.recv().await, i);
            }
            sender.await;
        })],
    );
}

#[test]
fn send_to_full_lane_completes_once_drained_across_threads() {
    let mesh = Mesh::<u32>::new(2, 2);
    let (a, b) = (mesh.endpoint(0), mesh.endpoint(1));
    // The receiver starts draining only once the sender has seen the lane full (on a
    // loaded machine the sender's thread may start long after the receiver's).
    let filled = Arc::new(AtomicBool::new(false));
    let filled_by_sender = filled.clone();
    let sender = body(move || async move {
        a.try_send(1, 0).unwrap();
        a.try_send(1, 1).unwrap();
        assert_eq!(a.try_send(1, 2), Err(2));
        filled_by_sender.store(true, Ordering::SeqCst);
        for i in 2..1000 {
            a.send(1, i).await;
        }
    });
    let receiver = body(move || async move {
        while !filled.load(Ordering::SeqCst) {
            glommio::timer::sleep(Duration::from_millis(1)).await;
        }
        // Let the sender find the lane full and wait.
        glommio::timer::sleep(Duration::from_millis(20)).await;
        for i in 0..1000 {
            assert_eq!(b.recv().await, i);
        }
    });
    run_executors(20, vec![sender, receiver]);
}

/// Unparks a std thread; lets a plain thread drive [`Endpoint::recv`] by hand.
struct ThreadWaker {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Aims replies right at the receiver's park window, where a lost wake-up would be born:
/// the echo thread never parks (it polls with try_recv, fine for a bounded test), so each
/// reply lands a few hundred nanoseconds after the ping, while the pinger, after a random
/// delay of the same order, scans, parks and re-scans. With one message in flight, a
/// single lost wake-up leaves the pinger parked forever, caught here by a deadline.
#[test]
fn park_protocol_race_with_threads() {
    const ROUNDS: u32 = 100_000;
    const TIME_LIMIT_SECS: u64 = 3;
    const WAKE_DEADLINE_SECS: u64 = 2;
    const STOP: u32 = u32::MAX;
    let mesh = Mesh::<u32>::new(2, 4);
    let (pinger, echo) = (mesh.endpoint(0), mesh.endpoint(1));
    let echo_thread = std::thread::spawn(move || {
        loop {
            match echo.try_recv() {
                Some(STOP) => break,
                Some(msg) => echo.try_send(0, msg).expect("room for the echo"),
                None => std::hint::spin_loop(),
            }
        }
    });
    let waker = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let task_waker = Waker::from(Arc::clone(&waker));
    let mut cx = Context::from_waker(&task_waker);
    let mut rng = Rng(0x5eed);
    let started = std::time::Instant::now();
    let mut parks = 0u32;
    for round in 0..ROUNDS {
        pinger.try_send(1, round).unwrap();
        for _ in 0..rng.below(200) {
            std::hint::spin_loop();
        }
        let mut recv = Box::pin(pinger.recv());
        loop {
            match recv.as_mut().poll(&mut cx) {
                Poll::Ready(msg) => {
                    assert_eq!(msg, round);
                    break;
                }
                Poll::Pending => {
                    parks += 1;
                    let deadline =
                        std::time::Instant::now() + Duration::from_secs(WAKE_DEADLINE_SECS);
                    while !waker.woken.swap(false, Ordering::SeqCst) {
                        let now = std::time::Instant::now();
                        assert!(now < deadline, "lost wake-up in round {round}");
                        std::thread::park_timeout(deadline - now);
                    }
                }
            }
        }
        if started.elapsed() > Duration::from_secs(TIME_LIMIT_SECS) {
            break;
        }
    }
    pinger.try_send(1, STOP).unwrap();
    echo_thread.join().unwrap();
    assert!(
        parks > 0,
        "the pinger never parked: the test exercised nothing"
    );
}

/// Two executors ping-ponging: strict one-message round trips (every receive parks, the
/// worst case for lost wake-ups) mixed with random bursts and random pauses.
#[test]
fn stress_ping_pong() {
    const ROUNDS: u32 = 10_000;
    const BURST_MESSAGES_MAX: u64 = 64;
    const STOP: u32 = u32::MAX;
    let mesh = Mesh::<u32>::new(2, BURST_MESSAGES_MAX as usize);
    let (pinger, ponger) = (mesh.endpoint(0), mesh.endpoint(1));
    let ping = body(move || async move {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut seq = 0u32;
        for _ in 0..ROUNDS {
            let burst = if rng.below(2) == 0 {
                1
            } else {
                1 + rng.below(BURST_MESSAGES_MAX) as u32
            };
            for i in 0..burst {
                // The lane holds a whole burst, so this never fails; and a draining task
                // must not use send().
                pinger.try_send(1, seq + i).expect("room for a burst");
            }
            match rng.below(8) {
                0 => yield_now().await,
                1 => glommio::timer::sleep(Duration::from_micros(rng.below(50))).await,
                _ => {}
            }
            for i in 0..burst {
                assert_eq!(pinger.recv().await, seq + i);
            }
            seq += burst;
        }
        pinger.try_send(1, STOP).unwrap();
    });
    let pong = body(move || async move {
        loop {
            let msg = ponger.recv().await;
            if msg == STOP {
                break;
            }
            ponger.try_send(0, msg).expect("room for the echo");
        }
    });
    run_executors(60, vec![ping, pong]);
}

/// Four executors, every thread sending to every thread (itself included) through small
/// lanes with send(), most of it fanning in to thread 0, in random bursts with random
/// pauses on both sides; every message must arrive exactly once and in order per source.
#[test]
fn stress_mesh_fan_in() {
    const THREADS: usize = 4;
    const QUEUE_MESSAGES_MAX: usize = 32;
    const BURST_MESSAGES_MAX: u64 = 100;
    fn planned(from: usize, to: usize) -> u32 {
        match (from, to) {
            (from, to) if from == to => 5_000,
            (_, 0) => 150_000,
            _ => 20_000,
        }
    }
    let mesh = Mesh::<(usize, u32)>::new(THREADS, QUEUE_MESSAGES_MAX);
    let received_total = Arc::new(AtomicUsize::new(0));
    let bodies = (0..THREADS)
        .map(|thread| {
            let endpoint = mesh.endpoint(thread);
            let received_total = Arc::clone(&received_total);
            body(move || async move {
                let endpoint = Rc::new(endpoint);
                let producer = glommio::spawn_local({
                    let endpoint = Rc::clone(&endpoint);
                    async move {
                        let mut rng = Rng(0x1234_5678 + thread as u64);
                        let mut next: Vec<u32> = vec![0; THREADS];
                        let mut open: Vec<usize> = (0..THREADS).collect();
                        while !open.is_empty() {
                            let pick = rng.below(open.len() as u64) as usize;
                            let to = open[pick];
                            let burst = 1 + rng.below(BURST_MESSAGES_MAX) as u32;
                            let end = (next[to] + burst).min(planned(thread, to));
                            for seq in next[to]..end {
                                endpoint.send(to, (thread, seq)).await;
                            }
                            next[to] = end;
                            if end == planned(thread, to) {
                                open.swap_remove(pick);
                            }
                            match rng.below(8) {
                                0 => yield_now().await,
                                1 => {
                                    let pause = Duration::from_micros(rng.below(100));
                                    glommio::timer::sleep(pause).await
                                }
                                _ => {}
                            }
                        }
                    }
                });
                let mut rng = Rng(0xdead_beef + thread as u64);
                let mut next: Vec<u32> = vec![0; THREADS];
                let expected: u32 = (0..THREADS).map(|from| planned(from, thread)).sum();
                for _ in 0..expected {
                    let (from, seq) = endpoint.recv().await;
                    assert_eq!(seq, next[from], "from {from} to {thread}");
                    next[from] += 1;
                    received_total.fetch_add(1, Ordering::Relaxed);
                    if rng.below(2_000) == 0 {
                        let pause = Duration::from_micros(rng.below(500));
                        glommio::timer::sleep(pause).await;
                    }
                }
                for (from, &count) in next.iter().enumerate() {
                    assert_eq!(count, planned(from, thread));
                }
                producer.await;
                assert_eq!(endpoint.try_recv(), None, "nothing beyond the plan");
            })
        })
        .collect();
    run_executors(60, bodies);
    let expected: u32 = (0..THREADS)
        .flat_map(|from| (0..THREADS).map(move |to| planned(from, to)))
        .sum();
    assert_eq!(received_total.load(Ordering::Relaxed), expected as usize);
}
