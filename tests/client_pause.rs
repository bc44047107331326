//! CLIENT PAUSE / UNPAUSE through the `redis` crate: WRITE holds back writes only, ALL
//! holds back everything (CLIENT UNPAUSE too, as in Redis 7.0), UNPAUSE or the deadline
//! releases them, and the validation errors are Redis's.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::client::{TestServer, error, q};

#[test]
fn pause_write_holds_writes_only() {
    let server = TestServer::start(3);
    let mut admin = server.conn();
    let mut con = server.conn();
    assert_eq!(
        q::<String>(&mut admin, &["CLIENT", "PAUSE", "400", "WRITE"]),
        "OK"
    );
    let start = Instant::now();
    let _: Option<String> = q(&mut con, &["GET", "k"]);
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "a read waited"
    );
    let _: String = q(&mut con, &["SET", "k", "v"]);
    assert!(
        start.elapsed() >= Duration::from_millis(350),
        "a write did not wait"
    );
}

/// As in Redis 7.0, ALL holds back every command, CLIENT UNPAUSE included: only the
/// deadline ends it.
#[test]
fn pause_all_holds_everything_until_the_deadline() {
    let server = TestServer::start(3);
    let mut admin = server.conn();
    let mut con = server.conn();
    assert_eq!(
        q::<String>(&mut admin, &["CLIENT", "PAUSE", "500", "ALL"]),
        "OK"
    );
    let start = Instant::now();
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
    assert!(
        start.elapsed() >= Duration::from_millis(450),
        "PING ran during the pause"
    );
}

#[test]
fn unpause_releases_held_writes() {
    let server = TestServer::start(3);
    let mut admin = server.conn();
    let mut con = server.conn();
    assert_eq!(
        q::<String>(&mut admin, &["CLIENT", "PAUSE", "20000", "WRITE"]),
        "OK"
    );
    let start = Instant::now();
    let waiter = thread::spawn(move || q::<String>(&mut con, &["SET", "k", "v"]));
    thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "SET ran during CLIENT PAUSE WRITE");
    assert_eq!(q::<String>(&mut admin, &["CLIENT", "UNPAUSE"]), "OK");
    assert_eq!(waiter.join().unwrap(), "OK");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn pause_validates_like_redis() {
    let server = TestServer::start(1);
    let mut con = server.conn();
    assert_eq!(
        error(&mut con, &["CLIENT", "PAUSE", "10", "FOO"]),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "PAUSE", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "PAUSE", "abc"]),
        "ERR timeout is not an integer or out of range"
    );
}
