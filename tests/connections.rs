//! The socket layer under real connections: replies far larger than a socket buffer
//! reach a slow reader whole (writes wait for room), a client that does not read its
//! replies stops the server's work for it instead of growing its memory, requests that arrive in many small
//! pieces and many clients at once on every thread are served, and the idle `timeout`
//! closes idle clients but spares blocked ones, as Redis does.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::client::{connect, q, start_server};
use common::encode_command;

/// Reads until `want` bytes arrived, pausing between reads so the server's socket
/// buffer fills and its writes must wait.
fn read_slowly(stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(want);
    let mut chunk = vec![0u8; 64 * 1024];
    while got.len() < want {
        let n = stream.read(&mut chunk).expect("reading a reply");
        assert!(n > 0, "server closed after {} of {want} bytes", got.len());
        got.extend_from_slice(&chunk[..n]);
        if got.len() < 4 * 1024 * 1024 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    got
}

#[test]
fn a_reply_larger_than_the_socket_buffer_reaches_a_slow_reader_whole() {
    let server = start_server(2, &[]);
    let mut con = connect(server.addr);
    let value: Vec<u8> = (0..24 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query(&mut con)
        .unwrap();
    let mut raw = TcpStream::connect(server.addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // Twice in one write: the second reply queues behind the first.
    let mut request = encode_command(&["GET", "big"]);
    request.extend(encode_command(&["GET", "big"]));
    raw.write_all(&request).unwrap();
    let header = format!("${}\r\n", value.len()).into_bytes();
    let one = header.len() + value.len() + 2;
    let got = read_slowly(&mut raw, 2 * one);
    assert_eq!(got.len(), 2 * one);
    for reply in got.chunks(one) {
        assert_eq!(&reply[..header.len()], &header[..]);
        assert!(
            reply[header.len()..one - 2] == value[..],
            "reply bytes differ"
        );
        assert_eq!(&reply[one - 2..], b"\r\n");
    }
}

/// `used_memory` from INFO memory.
fn used_memory(con: &mut redis::Connection) -> i64 {
    let info: String = q(con, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory in INFO memory")
}

#[test]
fn a_client_that_pipelines_big_reads_without_reading_holds_little_server_memory() {
    const VALUE_BYTES: usize = 1024 * 1024;
    const ROUNDS: usize = 100;
    // Four keys over three shards: some replies are made on the connection's own
    // thread, the others come back from other shards in batches.
    let keys = ["a", "b", "c", "d"];
    let server = start_server(3, &[]);
    let mut con = connect(server.addr);
    let values: Vec<Vec<u8>> = (0..keys.len())
        .map(|k| (0..VALUE_BYTES).map(|i| (i % 241 + k) as u8).collect())
        .collect();
    for (key, value) in keys.iter().zip(&values) {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query(&mut con)
            .unwrap();
    }
    let before = used_memory(&mut con);
    let mut raw = TcpStream::connect(server.addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request: Vec<u8> = (0..ROUNDS)
        .flat_map(|_| keys.iter().flat_map(|k| encode_command(&["GET", k])))
        .collect();
    raw.write_all(&request).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // 400 MB of replies are due; the server may hold a few batches of them, no more.
    let grown_bytes = used_memory(&mut con) - before;
    assert!(
        grown_bytes < 64 * 1024 * 1024,
        "grew by {grown_bytes} bytes"
    );
    let header = format!("${VALUE_BYTES}\r\n").into_bytes();
    let mut reply = vec![0u8; header.len() + VALUE_BYTES + 2];
    for round in 0..ROUNDS {
        for (k, value) in values.iter().enumerate() {
            raw.read_exact(&mut reply).unwrap();
            assert_eq!(
                &reply[..header.len()],
                &header[..],
                "round {round}, key {k}"
            );
            assert!(
                reply[header.len()..reply.len() - 2] == value[..],
                "round {round}"
            );
        }
    }
}

#[test]
fn requests_in_one_byte_pieces_and_many_clients_are_served() {
    let server = start_server(4, &[]);
    let mut raw = TcpStream::connect(server.addr).unwrap();
    raw.set_nodelay(true).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    for byte in encode_command(&["SET", "piecewise", "value"]) {
        raw.write_all(&[byte]).unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
    let mut reply = [0u8; 5];
    raw.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+OK\r\n");

    let clients: Vec<_> = (0..64)
        .map(|i| {
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut con = connect(addr);
                for j in 0..50 {
                    let key = format!("client:{i}:{j}");
                    let _: () = q(&mut con, &["SET", &key, &j.to_string()]);
                    let back: String = q(&mut con, &["GET", &key]);
                    assert_eq!(back, j.to_string());
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let mut con = connect(server.addr);
    let n: i64 = q(&mut con, &["DBSIZE"]);
    assert_eq!(n, 64 * 50 + 1);
}

/// Reads until the server closes the connection; false if it is still open at `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 64];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => {} // read timeout: still open
        }
    }
    false
}

#[test]
fn the_idle_timeout_closes_idle_clients_and_spares_blocked_ones() {
    let server = start_server(2, &["--timeout", "1"]);
    let mut idle = TcpStream::connect(server.addr).unwrap();
    let mut blocked = TcpStream::connect(server.addr).unwrap();
    blocked
        .write_all(&encode_command(&["BLPOP", "queue", "0"]))
        .unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(10)),
        "an idle client outlived `timeout 1`"
    );
    assert!(
        !closed_within(&mut blocked, Duration::from_millis(1500)),
        "a blocked client was closed by the idle timeout"
    );
    let mut con = connect(server.addr);
    let _: i64 = q(&mut con, &["RPUSH", "queue", "job"]);
    blocked
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let want = b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n";
    let mut reply = vec![0u8; want.len()];
    blocked.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[..], &want[..]);
}
