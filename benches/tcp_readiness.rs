//! Serving sockets: glommio's own `TcpStream` against shoal's epoll-driven
//! `runtime::tcp::TcpStream`, on the shape of `redis-benchmark -P 1 -c 50`: many
//! connections, each with one small request in flight.
//!
//! One executor thread holds both ends of `CONNECTIONS` loopback connections. The client
//! ends are always shoal's streams; only the server ends change. Each client writes a
//! 32-byte request and waits for it to come back; each server end echoes what it reads.
//! Everything, the kernel's loopback delivery included, runs on that one thread, so the
//! time per round trip is CPU time, and the difference between the two rows is what the
//! server ends' readiness costs: glommio arms a one-shot io_uring poll each time a read
//! finds its socket drained (submitted with an `io_uring_enter`, completed, torn down),
//! where shoal's sockets stay in one epoll set and one `epoll_wait` serves all.
//!
//! Results: criterion medians of three runs (median of the three, then the range),
//! release build, 2-vCPU VM (noisy):
//!
//! | server ends      | µs per 32 round trips   | µs per round trip |
//! |------------------|-------------------------|-------------------|
//! | glommio streams  | 435 (431-444)           | 13.6              |
//! | shoal streams    | 381 (357-427)           | 11.9              |
//!
//! Conclusion: shoal serves clients with its own streams; the server end of a round trip
//! costs about 1.7 µs less (the client ends, the same in both rows, are most of the
//! rest). In `scripts/bench` this showed as 4% less server CPU per request at -P 1.

use std::net::{TcpListener, TcpStream as StdStream};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::{LocalExecutorBuilder, Placement};
use shoal::runtime::tcp::TcpStream;

/// Connections served at once (redis-benchmark's default is 50 clients).
const CONNECTIONS: usize = 32;
/// Bytes of one request (and of its echo): about a GET of a short key.
const REQUEST_BYTES: usize = 32;

#[derive(Clone, Copy)]
enum ServerEnds {
    Glommio,
    Shoal,
}

/// Connected pairs on loopback: (client end, server end), both non-blocking later.
fn pairs() -> Vec<(StdStream, StdStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (0..CONNECTIONS)
        .map(|_| {
            let client = StdStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            client.set_nodelay(true).unwrap();
            server.set_nodelay(true).unwrap();
            (client, server)
        })
        .collect()
}

/// Echoes what `$stream` reads until it closes (the two stream types share no trait
/// with an async read).
macro_rules! echo_until_closed {
    ($stream:expr) => {{
        let mut buf = [0u8; 4096];
        loop {
            match $stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if $stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    }};
}

async fn echo_glommio(socket: StdStream) {
    use std::os::fd::{FromRawFd, IntoRawFd};
    socket.set_nonblocking(true).unwrap();
    // SAFETY: the descriptor comes from a connected socket whose ownership
    // `into_raw_fd` gave up; glommio's stream now owns and closes it.
    let mut stream = unsafe { glommio::net::TcpStream::from_raw_fd(socket.into_raw_fd()) };
    echo_until_closed!(stream)
}

async fn echo_shoal(socket: StdStream) {
    let mut stream = TcpStream::from_std(socket).unwrap();
    echo_until_closed!(stream)
}

/// One client: `rounds` requests, each waiting for its echo.
async fn client(socket: StdStream, rounds: u64) {
    let mut stream = TcpStream::from_std(socket).unwrap();
    let request = [b'x'; REQUEST_BYTES];
    let mut reply = [0u8; REQUEST_BYTES];
    for _ in 0..rounds {
        stream.write_all(&request).await.unwrap();
        let mut got = 0;
        while got < REQUEST_BYTES {
            let n = stream.read(&mut reply[got..]).await.unwrap();
            assert!(n > 0, "the echo closed");
            got += n;
        }
    }
}

/// Time for `rounds` round trips on every connection at once.
fn run(ends: ServerEnds, rounds: u64) -> Duration {
    LocalExecutorBuilder::new(Placement::Unbound)
        .spawn(move || async move {
            let mut clients = Vec::new();
            for (c, s) in pairs() {
                match ends {
                    ServerEnds::Glommio => glommio::spawn_local(echo_glommio(s)).detach(),
                    ServerEnds::Shoal => glommio::spawn_local(echo_shoal(s)).detach(),
                };
                clients.push(c);
            }
            let started = Instant::now();
            let tasks: Vec<_> = clients
                .into_iter()
                .map(|c| glommio::spawn_local(client(c, rounds)))
                .collect();
            for t in tasks {
                t.await;
            }
            started.elapsed()
        })
        .unwrap()
        .join()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo_32_connections");
    group.throughput(Throughput::Elements(CONNECTIONS as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for (name, ends) in [
        ("glommio", ServerEnds::Glommio),
        ("shoal", ServerEnds::Shoal),
    ] {
        group.bench_function(name, |b| b.iter_custom(|iters| run(ends, iters)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
