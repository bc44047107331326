//! The oracle for the unit tests that compare the `util` modules with Redis itself: each
//! test starts a private redis-server on a unix socket in a scratch directory (no TCP
//! port, so tests never collide), talks RESP to it, and stops it when done.
//! redis-server must be installed (scripts/test installs it, as the differential tests
//! need it too).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

pub struct Oracle {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    _server: Server,
}

/// A private redis-server for one test.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How long redis-server may take to create its socket.
const STARTUP_WAIT_MS_MAX: u64 = 10_000;

/// Starts a private redis-server and connects to it. Always `Some`: the `Option` lets
/// callers write `let Some(mut redis) = oracle::connect() else { ... }`.
pub fn connect() -> Option<Oracle> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "shoal-oracle-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir for the oracle");
    let socket = dir.join("redis.sock");
    let child = Command::new("redis-server")
        .args(["--port", "0", "--save", "", "--appendonly", "no"])
        .arg("--unixsocket")
        .arg(&socket)
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed for the oracle tests (scripts/test installs it)");
    let server = Server { child, dir };
    let started = Instant::now();
    let writer = loop {
        match UnixStream::connect(&socket) {
            Ok(s) => break s,
            Err(e) if started.elapsed() < Duration::from_millis(STARTUP_WAIT_MS_MAX) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("redis-server did not start: {e}"),
        }
    };
    let reader = BufReader::new(writer.try_clone().expect("clone socket"));
    Some(Oracle {
        writer,
        reader,
        _server: server,
    })
}

impl Oracle {
    /// A command whose reply is an array of bulk strings (or one bulk), as byte strings.
    pub fn strings(&mut self, args: &[&[u8]]) -> Vec<Vec<u8>> {
        match self.call(args) {
            Resp::Array(Some(items)) => items
                .into_iter()
                .map(|i| match i {
                    Resp::Bulk(Some(b)) => b,
                    other => panic!("expected bulk strings, got {other:?}"),
                })
                .collect(),
            Resp::Bulk(Some(b)) => vec![b],
            other => panic!("expected an array, got {other:?}"),
        }
    }

    pub fn call(&mut self, args: &[&[u8]]) -> Resp {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write to oracle");
        self.read()
    }

    fn read(&mut self) -> Resp {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        line.truncate(line.len().saturating_sub(2));
        let rest = String::from_utf8_lossy(&line[1..]).into_owned();
        match line[0] {
            b'+' => Resp::Simple(rest),
            b'-' => Resp::Error(rest),
            b':' => Resp::Int(rest.parse().expect("integer")),
            b'$' => {
                let Ok(len) = usize::try_from(rest.parse::<i64>().expect("len")) else {
                    return Resp::Bulk(None);
                };
                let mut body = vec![0u8; len + 2];
                self.reader.read_exact(&mut body).expect("bulk");
                body.truncate(len);
                Resp::Bulk(Some(body))
            }
            b'*' => {
                let Ok(count) = usize::try_from(rest.parse::<i64>().expect("count")) else {
                    return Resp::Array(None);
                };
                Resp::Array(Some((0..count).map(|_| self.read()).collect()))
            }
            other => panic!("unexpected RESP type {other}"),
        }
    }
}
