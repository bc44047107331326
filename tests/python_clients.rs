//! shoal through redis-py, the client most Python applications (Celery, RQ, Django's
//! cache) use: tests/clients/redis_py_check.py runs the same checks against redis-server
//! (so each expectation is known to hold for Redis 7.0) and against shoal with 4 shards.
//!
//! redis-py lives in a virtual environment under target/ (pinned in
//! tests/clients/requirements.txt), created on first use: the test needs nothing but
//! python3 with venv and pip on the machine, and fails, never skips, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::RedisServer;
use common::client::start_server;

/// Serializes creating the environment between tests of this file.
static VENV: Mutex<()> = Mutex::new(());

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The venv's python, with the pinned requirements installed.
fn python() -> PathBuf {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-clients");
    let python = venv.join("bin/python");
    let requirements = clients_dir().join("requirements.txt");
    let marker = venv.join("installed-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("reading requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return python;
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements));
    std::fs::write(&marker, wanted).expect("writing the venv marker");
    python
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

/// Runs the checks against `target` (a TCP port or `unix:PATH`).
fn redis_py_check(target: &str) {
    let out = Command::new(python())
        .arg(clients_dir().join("redis_py_check.py"))
        .arg(target)
        .output()
        .expect("running redis_py_check.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "redis-py checks failed against {target}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok server"), "{stdout}");
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
