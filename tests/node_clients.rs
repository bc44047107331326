//! shoal through ioredis, the Node.js client of BullMQ and most Node applications:
//! tests/clients/ioredis_check.js runs the same checks against redis-server (so each
//! expectation is known to hold for Redis 7.0) and against shoal with 4 shards.
//!
//! ioredis is installed with `npm ci` from tests/clients/package-lock.json into a
//! directory under target/ on first use: the test needs node and npm (scripts/test
//! installs them) and fails, never skips, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::client::start_server;
use common::{RedisServer, clients_dir, install_once, run_client_check, run_ok};

/// The directory whose node_modules holds the pinned packages.
fn installed() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-clients");
    install_once(&dir, "package-lock.json", |dir| {
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(clients_dir().join(file), dir.join(file)).expect("copying package files");
        }
        run_ok(
            Command::new("npm")
                .args(["ci", "--silent", "--no-audit", "--no-fund"])
                .current_dir(dir),
        );
    });
    dir
}

/// Runs the checks against `target` (a TCP port or `unix:PATH`).
fn ioredis_check(target: &str) {
    let mut command = Command::new("node");
    command
        .arg(clients_dir().join("ioredis_check.js"))
        .env("NODE_PATH", installed().join("node_modules"));
    run_client_check(&mut command, target, "reconnects");
}

#[test]
fn ioredis_checks_hold_for_redis_itself() {
    let redis = RedisServer::start();
    ioredis_check(&format!("unix:{}", redis.socket_path().display()));
}

#[test]
fn ioredis_works_against_shoal() {
    let server = start_server(4, &[]);
    ioredis_check(&server.addr.port().to_string());
    server.shutdown();
}
