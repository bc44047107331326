//! `maxclients` against the open-files limit at startup, as Redis: the soft limit is
//! raised to what `maxclients` needs when the hard limit allows; otherwise `maxclients`
//! is lowered to what fits. Its own test binary: it changes the process's limits.

mod common;

use common::client::{connect, q, start_server};
use shoal::runtime::limits::{FDS_PER_THREAD, RESERVED_FDS};

const THREADS: usize = 2;

fn maxclients(server: &shoal::server::ServerHandle) -> u64 {
    let mut con = connect(server.addr);
    let pair: Vec<String> = q(&mut con, &["CONFIG", "GET", "maxclients"]);
    pair[1].parse().unwrap()
}

#[test]
fn maxclients_fits_the_open_files_limit() {
    let reserved = RESERVED_FDS + FDS_PER_THREAD * THREADS as u64;
    let wanted = 10_000 + reserved;
    let (_, hard) = shoal::runtime::open_files_limit().unwrap();

    // A low soft limit is raised as far as the hard limit allows.
    shoal::runtime::set_open_files_limit(256, hard).unwrap();
    let server = start_server(THREADS, &["--maxclients", "10000"]);
    let (soft, _) = shoal::runtime::open_files_limit().unwrap();
    if hard >= wanted {
        assert_eq!(soft, wanted);
        assert_eq!(maxclients(&server), 10_000);
    } else {
        assert_eq!(soft, hard);
        assert_eq!(maxclients(&server), hard - reserved);
    }

    // A hard limit below what maxclients needs lowers maxclients, here and in INFO.
    shoal::runtime::set_open_files_limit(300, 300).unwrap();
    let server = start_server(THREADS, &["--maxclients", "10000"]);
    assert_eq!(maxclients(&server), 300 - reserved);
    let mut con = connect(server.addr);
    let info: String = q(&mut con, &["INFO", "clients"]);
    assert!(
        info.contains(&format!("maxclients:{}\r\n", 300 - reserved)),
        "{info}"
    );
}
