//! shoal through redis-py, the client most Python applications (Celery, RQ, Django's
//! cache) use: tests/clients/redis_py_check.py runs the same checks against redis-server
//! (so each expectation is known to hold for Redis 7.0) and against shoal with 4 shards.
//!
//! redis-py lives in a virtual environment under target/ (pinned in
//! tests/clients/requirements.txt), created on first use: the test needs python3 with
//! venv and pip (scripts/test installs them) and fails, never skips, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::client::start_server;
use common::{RedisServer, clients_dir, install_once, run_client_check, run_ok};

/// The venv's python, with the pinned requirements installed.
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-clients");
    install_once(&venv, "requirements.txt", |venv| {
        run_ok(Command::new("python3").arg("-m").arg("venv").arg(venv));
        run_ok(
            Command::new(venv.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg("-r")
                .arg(clients_dir().join("requirements.txt")),
        );
    });
    venv.join("bin/python")
}

/// Runs the checks against `target` (a TCP port or `unix:PATH`).
fn redis_py_check(target: &str) {
    let mut command = Command::new(python());
    command.arg(clients_dir().join("redis_py_check.py"));
    run_client_check(&mut command, target, "server");
}

#[test]
fn redis_py_checks_hold_for_redis_itself() {
    let redis = RedisServer::start();
    redis_py_check(&format!("unix:{}", redis.socket_path().display()));
}

#[test]
fn redis_py_works_against_shoal() {
    let server = start_server(4, &[]);
    redis_py_check(&server.addr.port().to_string());
    server.shutdown();
}
