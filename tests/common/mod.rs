//! Helpers shared by the integration tests: starting a throw-away `redis-server` (over a
//! Unix socket) or `shoal-server` (over TCP on an ephemeral port), killing them on drop,
//! and talking to either one over a raw byte stream. Replies are read one RESP2/RESP3
//! frame at a time and returned as their exact bytes, so tests can compare servers
//! byte for byte. Every read has a timeout: a hung server fails a test, never hangs it.
#![allow(dead_code)]

pub mod client;

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a single reply may take before the read fails (see [`Conn::set_timeout`]).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The socket-level read timeout: how often a blocked read wakes to check its deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long a server may take to become ready.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed (with its contents) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("{prefix}-{}-{n}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------------------
// RESP framing
// ---------------------------------------------------------------------------------------

/// Encodes one command as a RESP multibulk request.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The length of the complete RESP2 or RESP3 frame at the start of `buf`, `Ok(None)` if
/// more bytes are needed, or the decoder's complaint if `buf` is not RESP.
///
/// RESP2 is tried first because its null forms (`$-1`, `*-1`) are not RESP3; every other
/// RESP2 frame is also a RESP3 frame with the same bytes, so RESP3 is the fallback.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, String> {
    match redis_protocol::resp2::decode::decode_range(buf) {
        Ok(found) => Ok(found.map(|(_, len)| len)),
        Err(resp2_err) => match redis_protocol::resp3::decode::complete::decode_range(buf) {
            Ok(found) => Ok(found.map(|(_, len)| len)),
            Err(resp3_err) => Err(format!("not RESP2 ({resp2_err}) nor RESP3 ({resp3_err})")),
        },
    }
}

/// For an aggregate frame (`*`, `~`, `>` arrays/sets/pushes and `%`, `|` maps), its
/// header line and its elements as raw frames; a map's elements are key+value pairs
/// concatenated. `None` for anything else (including null arrays).
pub fn split_aggregate(frame: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let per_element = match frame.first()? {
        b'*' | b'~' | b'>' => 1,
        b'%' | b'|' => 2,
        _ => return None,
    };
    let header_end = frame.windows(2).position(|w| w == b"\r\n")? + 2;
    let count: usize = std::str::from_utf8(&frame[1..header_end - 2])
        .ok()?
        .parse()
        .ok()?;
    let mut elements = Vec::with_capacity(count);
    let mut pos = header_end;
    for _ in 0..count {
        let start = pos;
        for _ in 0..per_element {
            pos += frame_len(&frame[pos..]).ok()??;
        }
        elements.push(&frame[start..pos]);
    }
    Some((&frame[..header_end], elements))
}

/// An aggregate reply with its elements (a map's pairs) in byte order, for replies whose
/// order is the server's hash order; any other reply as it is.
pub fn sorted_aggregate(reply: &[u8]) -> Vec<u8> {
    let Some((header, mut elements)) = split_aggregate(reply) else {
        return reply.to_vec();
    };
    elements.sort();
    let mut out = header.to_vec();
    elements.iter().for_each(|e| out.extend_from_slice(e));
    out
}

/// The value of a `:N` reply.
pub fn integer_reply(reply: &[u8]) -> Option<i64> {
    let digits = reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The contents of a `$N` reply; `None` for anything else (a nil included).
pub fn bulk_reply(reply: &[u8]) -> Option<Vec<u8>> {
    let header_end = reply.windows(2).position(|w| w == b"\r\n")?;
    let len: usize = std::str::from_utf8(reply.strip_prefix(b"$")?.get(..header_end - 1)?)
        .ok()?
        .parse()
        .ok()?;
    Some(reply.get(header_end + 2..header_end + 2 + len)?.to_vec())
}

/// Printable form of raw bytes (`\r`, `\n`, non-ASCII as `\xHH`), for messages.
pub fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

// ---------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------

/// A raw byte stream to a server.
pub trait Stream: Read + Write + Send {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Stream for UnixStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        UnixStream::set_read_timeout(self, timeout)
    }
}

impl Stream for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

/// A client connection that writes raw bytes and reads whole reply frames.
pub struct Conn {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    timeout: Duration,
}

impl Conn {
    /// Wraps a stream. Its socket read timeout becomes short: blocked reads wake up to
    /// check the reply deadline.
    pub fn new(stream: Box<dyn Stream>) -> Conn {
        stream
            .set_read_timeout(Some(POLL_INTERVAL))
            .expect("setting a read timeout");
        Conn {
            stream,
            buf: Vec::new(),
            timeout: READ_TIMEOUT,
        }
    }

    /// How long [`Conn::read_reply`] waits for one reply (default [`READ_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Sends one command as a RESP multibulk request.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.send_raw(&encode_command(args))
    }

    /// Reads exactly one reply frame and returns its raw bytes. Bytes after it stay
    /// buffered for the next call. Fails on timeout, EOF or a non-RESP reply.
    pub fn read_reply(&mut self) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match frame_len(&self.buf) {
                Ok(Some(len)) => return Ok(self.buf.drain(..len).collect()),
                Ok(None) => {}
                Err(e) => {
                    let msg = format!("bad reply {}: {e}", escape(&self.buf));
                    return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
                }
            }
            if Instant::now() >= deadline {
                return Err(self.timed_out());
            }
            self.fill()?;
        }
    }

    /// Sends a command and reads its reply, panicking on I/O errors.
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send(args).expect("sending a command");
        self.read_reply().expect("reading a reply")
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connection closed (unparsed: {})", escape(&self.buf)),
            )),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn timed_out(&self) -> io::Error {
        let msg = format!(
            "no complete reply within {:?} (received so far: {})",
            self.timeout,
            escape(&self.buf)
        );
        io::Error::new(io::ErrorKind::TimedOut, msg)
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Anything the tests can open connections to: a Redis or a shoal server.
pub trait TestServer {
    /// A new client connection.
    fn try_connect(&self) -> io::Result<Conn>;
    /// A new client connection (panics if the server cannot be reached).
    fn connect(&self) -> Conn {
        self.try_connect()
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.describe()))
    }
    /// A short description for messages, e.g. `redis-server 7.0.15 (unix:/tmp/...)`.
    fn describe(&self) -> String;
    /// What the server printed so far (for failure messages).
    fn output(&self) -> String;
}

// ---------------------------------------------------------------------------------------
// redis-server
// ---------------------------------------------------------------------------------------

/// A private `redis-server` listening only on a Unix socket in its own temp dir.
pub struct RedisServer {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
    _dir: TempDir,
}

impl RedisServer {
    /// Starts `redis-server` with persistence off and waits until it answers PING.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// Like [`RedisServer::start`], with extra `--directive value` arguments.
    pub fn start_with(extra_args: &[&str]) -> RedisServer {
        let dir = TempDir::new("shoal-redis");
        let socket = dir.path().join("redis.sock");
        let log = dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir.path())
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(File::create(&log).expect("creating the redis log"))
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run redis-server (is it installed?): {e}"));
        let mut server = RedisServer {
            child,
            socket,
            log,
            _dir: dir,
        };
        server.wait_ready();
        server
    }

    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// A raw Unix-socket connection with [`READ_TIMEOUT`] on reads and writes.
    pub fn connect_unix(&self) -> UnixStream {
        self.try_connect_unix()
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.socket.display()))
    }

    fn try_connect_unix(&self) -> io::Result<UnixStream> {
        let stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_write_timeout(Some(READ_TIMEOUT))?;
        Ok(stream)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("redis-server exited ({status}):\n{}", self.output());
            }
            if self.answers_ping() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "redis-server not ready after {START_TIMEOUT:?}:\n{}",
                    self.output()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(stream) = UnixStream::connect(&self.socket) else {
            return false;
        };
        let mut conn = Conn::new(Box::new(stream));
        conn.send(&["PING"]).is_ok() && conn.read_reply().is_ok_and(|r| r == b"+PONG\r\n")
    }
}

impl TestServer for RedisServer {
    fn try_connect(&self) -> io::Result<Conn> {
        Ok(Conn::new(Box::new(self.try_connect_unix()?)))
    }

    fn describe(&self) -> String {
        format!("redis-server (unix:{})", self.socket.display())
    }

    fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// shoal-server
// ---------------------------------------------------------------------------------------

/// The marker shoal prints (on stdout) once it accepts connections, followed by the
/// bound address, e.g. `... Listening on 127.0.0.1:43127`.
pub const LISTENING_MARKER: &str = "Listening on ";

/// A `shoal-server` process started with `--port 0`, on the port it reports.
pub struct ShoalServer {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
    _dir: TempDir,
}

impl ShoalServer {
    /// Runs `shoal-server --port 0 --threads N <extra_args>` (in a temp dir) and waits
    /// for its `Listening on 127.0.0.1:PORT` line.
    pub fn start(threads: usize, extra_args: &[&str]) -> ShoalServer {
        let program = Path::new(env!("CARGO_BIN_EXE_shoal-server"));
        ShoalServer::start_program(program, threads, extra_args)
    }

    /// Like [`ShoalServer::start`] with another executable that behaves the same way
    /// (the harness's own tests use a stand-in).
    pub fn start_program(program: &Path, threads: usize, extra_args: &[&str]) -> ShoalServer {
        let dir = TempDir::new("shoal-server");
        let threads = threads.to_string();
        let mut child = Command::new(program)
            .args(["--port", "0", "--threads", &threads])
            .args(extra_args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let output = Arc::new(Mutex::new(String::new()));
        let (lines_tx, lines_rx) = mpsc::channel();
        collect_lines(child.stdout.take().unwrap(), &output, lines_tx.clone());
        collect_lines(child.stderr.take().unwrap(), &output, lines_tx);
        let addr = wait_listening(&mut child, &lines_rx, &output);
        ShoalServer {
            child,
            addr,
            output,
            _dir: dir,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A raw TCP connection with [`READ_TIMEOUT`] on reads and writes.
    pub fn connect_tcp(&self) -> TcpStream {
        self.try_connect_tcp()
            .unwrap_or_else(|e| panic!("connecting to shoal at {}: {e}", self.addr))
    }

    fn try_connect_tcp(&self) -> io::Result<TcpStream> {
        let stream = TcpStream::connect_timeout(&self.addr, START_TIMEOUT)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_write_timeout(Some(READ_TIMEOUT))?;
        Ok(stream)
    }
}

/// Copies a child's output line by line into `output` and `lines` until EOF.
fn collect_lines<R: Read + Send + 'static>(
    source: R,
    output: &Arc<Mutex<String>>,
    lines: mpsc::Sender<String>,
) {
    let output = Arc::clone(output);
    thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let text = String::from_utf8_lossy(&line).into_owned();
            output.lock().unwrap().push_str(&text);
            let _ = lines.send(text);
            line.clear();
        }
    });
}

fn wait_listening(
    child: &mut Child,
    lines: &mpsc::Receiver<String>,
    output: &Mutex<String>,
) -> SocketAddr {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(addr) = parse_listening_line(&line) {
                    return addr;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "shoal-server printed no `{LISTENING_MARKER}127.0.0.1:PORT` line within \
                     {START_TIMEOUT:?}; output:\n{}",
                    output.lock().unwrap()
                );
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                panic!(
                    "shoal-server exited ({status}) before printing \
                     `{LISTENING_MARKER}127.0.0.1:PORT`; output:\n{}",
                    output.lock().unwrap()
                );
            }
        }
    }
}

/// The address in a `... Listening on 127.0.0.1:PORT ...` log line (ANSI colours, if
/// any, are ignored).
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let plain = strip_ansi(line);
    let rest = &plain[plain.find(LISTENING_MARKER)? + LISTENING_MARKER.len()..];
    let token = rest.split_whitespace().next()?;
    token
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip `ESC [ ... final-letter`.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl TestServer for ShoalServer {
    fn try_connect(&self) -> io::Result<Conn> {
        Ok(Conn::new(Box::new(self.try_connect_tcp()?)))
    }

    fn describe(&self) -> String {
        format!("shoal-server (tcp:{})", self.addr)
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for ShoalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// Third-party clients installed for the tests
// ---------------------------------------------------------------------------------------

/// The client checks' sources (tests/clients).
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Makes `dir` (under target/) hold what `install` puts there for the dependency file
/// `pinned` of tests/clients, running `install` only when `pinned` changed since the
/// last install (a marker copy of it records that). Tests of one file share the lock.
pub fn install_once(dir: &Path, pinned: &str, install: impl FnOnce(&Path)) {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let wanted = fs::read_to_string(clients_dir().join(pinned))
        .unwrap_or_else(|e| panic!("reading tests/clients/{pinned}: {e}"));
    let marker = dir.join(format!("installed-{pinned}"));
    if fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return;
    }
    fs::create_dir_all(dir).expect("creating the clients directory");
    install(dir);
    fs::write(&marker, wanted).expect("writing the install marker");
}

/// Runs `command` to completion; panics naming it when it cannot start or fails.
pub fn run_ok(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run {command:?} (scripts/test installs it): {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

/// Runs a client check script (`program script target`) and asserts it passed through
/// its last check `last_ok` (its output is shown on failure).
pub fn run_client_check(command: &mut Command, target: &str, last_ok: &str) {
    let out = command
        .arg(target)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("ok {last_ok}")),
        "client checks failed against {target}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
