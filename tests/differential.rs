//! Differential tests: every case of `tests/corpus/*.txt` is run against a real
//! `redis-server` (the reference) and against `shoal-server`, and the raw reply bytes
//! must be identical. All mismatches are collected and reported together at the end.
//! Also unit tests of the corpus parser and reply comparator, and an end-to-end check
//! that the runner does report a real difference between two servers.
//!
//! # Corpus format
//!
//! ```text
//! # case: set with expiry then ttl
//! SET k v EX 100
//! !approx 1 TTL k
//! ```
//!
//! - Blank lines separate cases. Each case runs on fresh connections (RESP2, DB 0) and
//!   starts with `FLUSHALL`; after its last line an `ECHO` is sent to check neither
//!   server sent more (or fewer) replies than expected.
//! - `#` starts a comment line; `# case: NAME` names the case that follows (otherwise
//!   it is named by its first command).
//! - Every other line is one command, split like redis-cli does: double quotes accept
//!   `\n \r \t \b \a \\ \" \xHH`, single quotes accept `\'`.
//! - A line may begin with directives (combinable) for legitimate differences:
//!   - `!ignore`: send it and read the reply, but do not compare (INFO, TIME, ...);
//!   - `!sort`: compare aggregate replies ignoring element order (map: pair order);
//!   - `!type`: compare only the reply type (its first byte);
//!   - `!approx N`: both replies are integers at most N apart (TTL-like values);
//!   - `!replies N`: the command produces N replies (0 is allowed), compared in turn.
//!
//! # Environment
//!
//! - `SHOAL_DIFF_AGAINST=redis`: compare Redis with a second Redis (validates the
//!   corpus is deterministic); default `shoal`.
//! - `SHOAL_DIFF_THREADS=3,1`: shoal thread counts, one full pass each (default `3,1`).
//! - `SHOAL_DIFF_FILTER=text`: only cases whose location or name contains `text`.
//! - `SHOAL_DIFF_VERBOSE=1`: print every command with both replies.

mod common;

use common::{RedisServer, ShoalServer, TestServer, escape, integer_reply, sorted_aggregate};
use std::path::Path;
use std::time::Duration;

/// Sent after each case; both servers must answer it with the same bytes.
const END_MARKER: &str = "difftest-end-of-case";
/// How many differences the final report prints in full.
const REPORT_LIMIT: usize = 50;
/// A pass stops after this many consecutive cases failing on I/O (dead server).
const MAX_IO_FAILURES_IN_A_ROW: usize = 3;

// ---------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------

/// How two replies to one command are compared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Check {
    Exact,
    Ignore,
    Sort,
    Type,
    Approx(i64),
    /// Internal: the reply to the end-of-case ECHO, which both sides must send as is.
    EndOfCase,
}

#[derive(Debug)]
struct Line {
    location: String,
    text: String,
    args: Vec<Vec<u8>>,
    check: Check,
    replies: usize,
}

#[derive(Debug)]
struct Case {
    location: String,
    name: String,
    lines: Vec<Line>,
}

/// Splits a command line like redis-cli (Redis's `sdssplitargs`).
fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut bytes = line.as_bytes().iter().copied().peekable();
    let mut args = Vec::new();
    loop {
        while bytes.next_if(u8::is_ascii_whitespace).is_some() {}
        let Some(&first) = bytes.peek() else {
            return Ok(args);
        };
        let arg = match first {
            b'"' => double_quoted(&mut bytes)?,
            b'\'' => single_quoted(&mut bytes)?,
            _ => std::iter::from_fn(|| bytes.next_if(|b| !b.is_ascii_whitespace())).collect(),
        };
        if bytes.peek().is_some_and(|b| !b.is_ascii_whitespace()) {
            return Err("closing quote must be followed by a space".into());
        }
        args.push(arg);
    }
}

type Bytes<'a> = std::iter::Peekable<std::iter::Copied<std::slice::Iter<'a, u8>>>;

fn double_quoted(bytes: &mut Bytes) -> Result<Vec<u8>, String> {
    bytes.next();
    let mut arg = Vec::new();
    loop {
        match bytes.next().ok_or("unbalanced double quotes")? {
            b'"' => return Ok(arg),
            b'\\' => arg.push(unescape(bytes)?),
            b => arg.push(b),
        }
    }
}

fn unescape(bytes: &mut Bytes) -> Result<u8, String> {
    Ok(match bytes.next().ok_or("unbalanced double quotes")? {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 8,
        b'a' => 7,
        b'x' => {
            let hex = [bytes.next().unwrap_or(0), bytes.next().unwrap_or(0)];
            let hex = std::str::from_utf8(&hex).map_err(|e| e.to_string())?;
            u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x escape {hex:?}"))?
        }
        other => other,
    })
}

fn single_quoted(bytes: &mut Bytes) -> Result<Vec<u8>, String> {
    bytes.next();
    let mut arg = Vec::new();
    loop {
        match bytes.next().ok_or("unbalanced single quotes")? {
            b'\'' => return Ok(arg),
            b'\\' if bytes.peek() == Some(&b'\'') => arg.push(bytes.next().unwrap()),
            b => arg.push(b),
        }
    }
}

/// Parses the directives at the start of a corpus line and the command after them.
fn parse_line(location: String, text: &str) -> Result<Line, String> {
    let mut args = split_args(text)?;
    let mut check = Check::Exact;
    let mut replies = 1;
    while args.first().is_some_and(|a| a.starts_with(b"!")) {
        let directive = String::from_utf8_lossy(&args.remove(0)).into_owned();
        let mut number = |what: &str| -> Result<i64, String> {
            let arg = (!args.is_empty()).then(|| args.remove(0));
            let arg = String::from_utf8_lossy(&arg.unwrap_or_default()).into_owned();
            arg.parse()
                .map_err(|_| format!("{what} needs a number, got {arg:?}"))
        };
        match directive.as_str() {
            "!ignore" => check = Check::Ignore,
            "!sort" => check = Check::Sort,
            "!type" => check = Check::Type,
            "!approx" => check = Check::Approx(number("!approx")?),
            "!replies" => {
                replies = usize::try_from(number("!replies")?).map_err(|e| e.to_string())?
            }
            other => return Err(format!("unknown directive {other}")),
        }
    }
    if args.is_empty() {
        return Err("no command after the directives".into());
    }
    Ok(Line {
        location,
        text: text.to_string(),
        args,
        check,
        replies,
    })
}

/// Parses one corpus file into cases.
fn parse_corpus(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut name = None;
    let mut lines: Vec<Line> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let location = format!("{file}:{}", i + 1);
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            push_case(&mut cases, name.take(), std::mem::take(&mut lines));
        } else if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(case_name) = comment.trim().strip_prefix("case:") {
                name = Some(case_name.trim().to_string());
            }
        } else {
            lines.push(
                parse_line(location.clone(), trimmed).map_err(|e| format!("{location}: {e}"))?,
            );
        }
    }
    push_case(&mut cases, name, lines);
    Ok(cases)
}

fn push_case(cases: &mut Vec<Case>, name: Option<String>, lines: Vec<Line>) {
    let Some(first) = lines.first() else { return };
    cases.push(Case {
        location: first.location.clone(),
        name: name.unwrap_or_else(|| first.text.clone()),
        lines,
    });
}

/// Every case of the corpus directory (sorted by file name), honouring
/// `SHOAL_DIFF_FILTER`.
fn load_corpus() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let filter = std::env::var("SHOAL_DIFF_FILTER").unwrap_or_default();
    let mut cases = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed =
            parse_corpus(&format!("tests/corpus/{file}"), &text).unwrap_or_else(|e| panic!("{e}"));
        cases.extend(
            parsed
                .into_iter()
                .filter(|c| c.location.contains(&filter) || c.name.contains(&filter)),
        );
    }
    cases
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

// ---------------------------------------------------------------------------------------
// Comparing replies
// ---------------------------------------------------------------------------------------

/// `Ok` if two raw replies agree under `check`, else why not.
fn compare(check: Check, reference: &[u8], other: &[u8]) -> Result<(), String> {
    match check {
        Check::Ignore => Ok(()),
        Check::Exact => same(reference == other, "replies differ"),
        Check::Type => same(reference.first() == other.first(), "reply types differ"),
        Check::Sort => same(
            sorted_aggregate(reference) == sorted_aggregate(other),
            "replies differ (ignoring order)",
        ),
        Check::EndOfCase => {
            let marker = format!("${}\r\n{END_MARKER}\r\n", END_MARKER.len()).into_bytes();
            same(
                reference == marker,
                "reference out of sync at end of case: bad !replies count?",
            )?;
            same(
                other == marker,
                "out of sync at end of case: more or fewer replies than the reference",
            )
        }
        Check::Approx(n) => match (integer_reply(reference), integer_reply(other)) {
            (Some(a), Some(b)) => same(
                a.abs_diff(b) <= n.unsigned_abs(),
                &format!("integers differ by more than {n}"),
            ),
            _ => Err(format!("!approx {n} needs two integer replies")),
        },
    }
}

fn same(ok: bool, why: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why.to_string()) }
}

// ---------------------------------------------------------------------------------------
// Running cases
// ---------------------------------------------------------------------------------------

/// One difference between the servers.
#[derive(Debug)]
struct Mismatch {
    location: String,
    case: String,
    command: String,
    why: String,
    reference: String,
    other: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        writeln!(
            f,
            "{} [{}] `{}`: {}",
            self.location, self.case, self.command, self.why
        )?;
        writeln!(f, "    reference: {}", self.reference)?;
        write!(f, "    other:     {}", self.other)
    }
}

/// The two sides of a comparison: a connection to each server.
struct Pair {
    reference: common::Conn,
    other: common::Conn,
}

/// A reply, or the I/O error that stood in its place.
type Reply = Result<Vec<u8>, String>;

fn show(reply: &Reply) -> String {
    match reply {
        Ok(bytes) => format!("\"{}\"", escape(bytes)),
        Err(e) => format!("<{e}>"),
    }
}

impl Pair {
    fn open(
        reference: &dyn TestServer,
        other: &dyn TestServer,
        timeout: Duration,
    ) -> Result<Pair, (Reply, Reply)> {
        let connect = |server: &dyn TestServer| {
            let mut conn = server
                .try_connect()
                .map_err(|e| format!("cannot connect: {e}"))?;
            conn.set_timeout(timeout);
            Ok(conn)
        };
        match (connect(reference), connect(other)) {
            (Ok(reference), Ok(other)) => Ok(Pair { reference, other }),
            (r, o) => Err((r.map(|_| Vec::new()), o.map(|_| Vec::new()))),
        }
    }

    /// Sends one command to both sides and reads `replies` replies from each.
    fn exchange(&mut self, args: &[Vec<u8>], replies: usize) -> Vec<(Reply, Reply)> {
        let sent_ref = self.reference.send(args).map_err(|e| e.to_string());
        let sent_other = self.other.send(args).map_err(|e| e.to_string());
        (0..replies)
            .map(|_| {
                let r = sent_ref
                    .clone()
                    .and_then(|_| self.reference.read_reply().map_err(|e| e.to_string()));
                let o = sent_other
                    .clone()
                    .and_then(|_| self.other.read_reply().map_err(|e| e.to_string()));
                (r, o)
            })
            .collect()
    }
}

/// Outcome of one case: its mismatches and whether a side failed on I/O.
struct CaseResult {
    mismatches: Vec<Mismatch>,
    io_failure: bool,
}

/// How a corpus is run.
struct Options {
    /// How long each reply may take.
    timeout: Duration,
    /// Print every command with both replies.
    verbose: bool,
}

impl Options {
    fn from_env() -> Options {
        Options {
            timeout: common::READ_TIMEOUT,
            verbose: env_flag("SHOAL_DIFF_VERBOSE"),
        }
    }
}

fn run_case(
    case: &Case,
    reference: &dyn TestServer,
    other: &dyn TestServer,
    options: &Options,
) -> CaseResult {
    let mut result = CaseResult {
        mismatches: Vec::new(),
        io_failure: false,
    };
    let mut pair = match Pair::open(reference, other, options.timeout) {
        Ok(pair) => pair,
        Err((r, o)) => {
            result.record(case, &case.location, "I/O error".into(), &r, &o);
            result.mismatches[0].command = "(connect)".into();
            return result;
        }
    };
    let flush = parse_line(case.location.clone(), "FLUSHALL").unwrap();
    let last = &case.lines.last().unwrap().location;
    let mut end = parse_line(last.clone(), &format!("ECHO {END_MARKER}")).unwrap();
    end.check = Check::EndOfCase;
    let all_lines = std::iter::once(&flush)
        .chain(&case.lines)
        .chain(std::iter::once(&end));
    for line in all_lines {
        for (r, o) in pair.exchange(&line.args, line.replies) {
            if options.verbose {
                println!("{} {}", line.location, line.text);
                println!("    ref:   {}\n    other: {}", show(&r), show(&o));
            }
            let verdict = match (&r, &o) {
                (Ok(r), Ok(o)) => compare(line.check, r, o),
                _ => Err("I/O error".to_string()),
            };
            if let Err(why) = verdict {
                result.record(case, &line.location, why, &r, &o);
                result.mismatches.last_mut().unwrap().command = line.text.clone();
            }
            if result.io_failure {
                return result;
            }
        }
    }
    result
}

impl CaseResult {
    /// Notes a difference at `location`; an I/O error on either side ends the case.
    fn record(&mut self, case: &Case, location: &str, why: String, r: &Reply, o: &Reply) {
        self.io_failure |= r.is_err() || o.is_err();
        self.mismatches.push(Mismatch {
            location: location.to_string(),
            case: case.name.clone(),
            command: String::new(),
            why,
            reference: show(r),
            other: show(o),
        });
    }
}

/// Runs every case; stops early only if the other side keeps failing on I/O.
fn run_corpus(
    cases: &[Case],
    reference: &dyn TestServer,
    other: &dyn TestServer,
    options: &Options,
) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    let mut failures_in_a_row = 0;
    for case in cases {
        let result = run_case(case, reference, other, options);
        mismatches.extend(result.mismatches);
        failures_in_a_row = if result.io_failure {
            failures_in_a_row + 1
        } else {
            0
        };
        if failures_in_a_row >= MAX_IO_FAILURES_IN_A_ROW {
            mismatches.push(Mismatch {
                location: case.location.clone(),
                case: "(runner)".into(),
                command: String::new(),
                why: format!("{MAX_IO_FAILURES_IN_A_ROW} cases in a row failed on I/O; remaining cases skipped"),
                reference: reference.describe(),
                other: format!("{}\n--- its output ---\n{}", other.describe(), other.output()),
            });
            break;
        }
    }
    mismatches
}

fn report(label: &str, cases: usize, mismatches: &[Mismatch]) -> String {
    let mut out = format!(
        "{label}: {} mismatch(es) over {cases} cases\n{}\n",
        mismatches.len(),
        per_file(mismatches)
    );
    for m in mismatches.iter().take(REPORT_LIMIT) {
        out.push_str(&format!("\n{m}\n"));
    }
    if mismatches.len() > REPORT_LIMIT {
        out.push_str(&format!(
            "\n... and {} more\n",
            mismatches.len() - REPORT_LIMIT
        ));
    }
    out
}

/// `by file: a.txt 3, b.txt 1` (the file of each mismatch's `file:line`).
fn per_file(mismatches: &[Mismatch]) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for m in mismatches {
        let file = m.location.rsplit_once(':').map_or(&*m.location, |(f, _)| f);
        *counts.entry(file).or_default() += 1;
    }
    let parts: Vec<_> = counts.iter().map(|(f, n)| format!("{f} {n}")).collect();
    format!("by file: {}", parts.join(", "))
}

/// The shoal thread counts to test, from `SHOAL_DIFF_THREADS` (default `3,1`).
fn thread_counts() -> Vec<usize> {
    let spec = std::env::var("SHOAL_DIFF_THREADS").unwrap_or_else(|_| "3,1".into());
    spec.split(',')
        .map(|n| {
            n.trim()
                .parse()
                .unwrap_or_else(|_| panic!("bad SHOAL_DIFF_THREADS {spec:?}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn corpus_matches_redis() {
    let cases = load_corpus();
    assert!(!cases.is_empty(), "no corpus cases selected");
    let options = Options::from_env();
    let reference = RedisServer::start();
    let against = std::env::var("SHOAL_DIFF_AGAINST").unwrap_or_else(|_| "shoal".into());
    println!("{} corpus cases against {against}", cases.len());
    let mut failures = Vec::new();
    match against.as_str() {
        "redis" => {
            let other = RedisServer::start();
            let mismatches = run_corpus(&cases, &reference, &other, &options);
            if !mismatches.is_empty() {
                failures.push(report("redis vs redis", cases.len(), &mismatches));
            }
        }
        "shoal" => {
            for threads in thread_counts() {
                let other = ShoalServer::start(threads, &["--save", ""]);
                let mismatches = run_corpus(&cases, &reference, &other, &options);
                if !mismatches.is_empty() {
                    failures.push(report(
                        &format!("redis vs shoal --threads {threads}"),
                        cases.len(),
                        &mismatches,
                    ));
                }
            }
        }
        other => panic!("SHOAL_DIFF_AGAINST must be `redis` or `shoal`, not {other:?}"),
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Two Redis servers that really differ (eviction policy): the runner must notice, and
/// the directives must relax exactly what they claim to.
#[test]
fn runner_reports_real_differences() {
    let reference = RedisServer::start();
    let other = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let corpus = "\
# case: differs
CONFIG GET maxmemory-policy
PING

# case: same
!ignore CONFIG GET maxmemory-policy
!type CONFIG GET maxmemory-policy
!sort CONFIG GET maxmemory-policy
";
    let cases = parse_corpus("inline", corpus).unwrap();
    let mismatches = run_corpus(&cases, &reference, &other, &Options::from_env());
    assert_eq!(
        mismatches.len(),
        2,
        "{}",
        report("self-test", cases.len(), &mismatches)
    );
    assert_eq!(mismatches[0].location, "inline:2");
    assert_eq!(mismatches[1].location, "inline:8");
    assert!(
        mismatches[0].other.contains("allkeys-lru"),
        "{}",
        mismatches[0]
    );
}

/// A line that expects the wrong number of replies desynchronises the connection; the
/// end-of-case ECHO must catch it instead of letting it pass silently.
#[test]
fn runner_reports_unexpected_reply_counts() {
    let reference = RedisServer::start();
    let other = RedisServer::start();
    let cases = parse_corpus("inline", "!replies 2 PING\n\nPING\n").unwrap();
    let options = Options {
        timeout: Duration::from_millis(300),
        verbose: false,
    };
    let mismatches = run_corpus(&cases, &reference, &other, &options);
    // Both sides time out on the second reply: one mismatch, then the next case is fine.
    assert_eq!(
        mismatches.len(),
        1,
        "{}",
        report("self-test", cases.len(), &mismatches)
    );
    assert_eq!(mismatches[0].location, "inline:1");
    assert!(
        mismatches[0].reference.contains("no complete reply"),
        "{}",
        mismatches[0]
    );

    // One reply too few: the unread reply lands on the end-of-case ECHO.
    let cases = parse_corpus("inline", "PING\n!replies 0 PING\n").unwrap();
    let mismatches = run_corpus(&cases, &reference, &other, &options);
    assert_eq!(
        mismatches.len(),
        1,
        "{}",
        report("self-test", cases.len(), &mismatches)
    );
    assert_eq!(mismatches[0].location, "inline:2");
    assert!(
        mismatches[0].why.contains("out of sync"),
        "{}",
        mismatches[0]
    );

    // Right counts: no reply at all after CLIENT REPLY SKIP for it and the next command.
    let cases = parse_corpus(
        "inline",
        "!replies 0 CLIENT REPLY SKIP\n!replies 0 PING\nPING\n",
    )
    .unwrap();
    let mismatches = run_corpus(&cases, &reference, &other, &options);
    assert!(
        mismatches.is_empty(),
        "{}",
        report("self-test", cases.len(), &mismatches)
    );
}

/// A server that dies mid-run costs a few cases, not the whole report or a hang.
#[test]
fn runner_survives_a_dead_server() {
    let reference = RedisServer::start();
    let dead = RedisServer::start();
    let mut conn = dead.connect();
    conn.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
    assert!(conn.read_reply().is_err(), "SHUTDOWN closes the connection");
    let cases = parse_corpus("inline", "PING\n\nPING\n\nPING\n\nPING\n\nPING\n").unwrap();
    let mismatches = run_corpus(&cases, &reference, &dead, &Options::from_env());
    let whys: Vec<_> = mismatches.iter().map(|m| m.why.as_str()).collect();
    assert_eq!(whys.len(), 1 + MAX_IO_FAILURES_IN_A_ROW, "{whys:?}");
    assert!(
        mismatches[0].other.contains("cannot connect"),
        "{}",
        mismatches[0]
    );
    assert!(
        whys.last().unwrap().contains("remaining cases skipped"),
        "{whys:?}"
    );
}

/// A stand-in for `shoal-server`: checks it got `--port 0 --threads N`, then runs a
/// redis-server on the port given by `--fake-port` and prints shoal's readiness line.
const FAKE_SHOAL: &str = r#"#!/usr/bin/env bash
if [ "$1 $2 $3 $5" != "--port 0 --threads --fake-port" ]; then echo "bad args: $*"; exit 2; fi
port="$6"
(
    for _ in $(seq 200); do
        if redis-cli -p "$port" ping >/dev/null 2>&1; then
            echo "INFO shoal::server: Listening on 127.0.0.1:$port"
            exit 0
        fi
        sleep 0.05
    done
) &
exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
"#;

fn write_fake_shoal(dir: &common::TempDir) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.path().join("fake-shoal-server");
    std::fs::write(&path, FAKE_SHOAL).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The shoal side of the harness (log-line parsing, TCP connections) against a
/// stand-in binary, since the real server may not be ready.
#[test]
fn shoal_side_works_over_tcp() {
    let dir = common::TempDir::new("fake-shoal");
    let program = write_fake_shoal(&dir);
    let port = free_port().to_string();
    let fake = ShoalServer::start_program(&program, 3, &["--fake-port", &port]);
    assert_eq!(fake.port().to_string(), port);
    assert_eq!(fake.connect().command(&["PING"]), b"+PONG\r\n");
    let reference = RedisServer::start();
    let cases = parse_corpus(
        "inline",
        "MSET a 1 b 2\nMGET a b c\n\n!type HELLO 3\nGET a\n",
    )
    .unwrap();
    let mismatches = run_corpus(&cases, &reference, &fake, &Options::from_env());
    assert!(
        mismatches.is_empty(),
        "{}",
        report("fake shoal", cases.len(), &mismatches)
    );
}

/// A server binary that exits without listening makes `start` fail fast and say so.
#[test]
fn shoal_start_reports_early_exit() {
    let dir = common::TempDir::new("fake-shoal");
    let program = write_fake_shoal(&dir);
    let started = std::time::Instant::now();
    let result = std::panic::catch_unwind(|| ShoalServer::start_program(&program, 1, &["--wrong"]));
    let message = *result
        .err()
        .expect("start must fail")
        .downcast::<String>()
        .unwrap();
    assert!(message.contains("exited"), "{message}");
    assert!(
        message.contains("bad args: --port 0 --threads 1 --wrong"),
        "{message}"
    );
    assert!(started.elapsed() < common::START_TIMEOUT);
}

#[test]
fn split_args_follows_redis_cli_quoting() {
    let args = split_args(r#"SET "a b\n\x41\"" 'it\'s' plain"#).unwrap();
    assert_eq!(
        args,
        vec![
            b"SET".to_vec(),
            b"a b\nA\"".to_vec(),
            b"it's".to_vec(),
            b"plain".to_vec()
        ]
    );
    assert_eq!(
        split_args(r#"ECHO """#).unwrap(),
        vec![b"ECHO".to_vec(), Vec::new()]
    );
    assert_eq!(
        split_args(r#"ECHO "\xff\t""#).unwrap()[1],
        vec![0xff, b'\t']
    );
    assert!(split_args(r#"ECHO "open"#).is_err());
    assert!(split_args(r#"ECHO 'open"#).is_err());
    assert!(split_args(r#"ECHO "a"b"#).is_err());
}

#[test]
fn corpus_lines_parse_directives() {
    let cases = parse_corpus(
        "f",
        "# case: one\n!sort KEYS *\n!approx 2 TTL k\n\n!replies 0 !ignore CLIENT REPLY OFF\n",
    )
    .unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].name, "one");
    assert_eq!(cases[0].location, "f:2");
    assert_eq!(cases[0].lines[0].check, Check::Sort);
    assert_eq!(cases[0].lines[1].check, Check::Approx(2));
    assert_eq!(cases[1].name, "!replies 0 !ignore CLIENT REPLY OFF");
    assert_eq!(
        (cases[1].lines[0].replies, cases[1].lines[0].check),
        (0, Check::Ignore)
    );
    assert!(parse_corpus("f", "!bogus PING").is_err());
    assert!(parse_corpus("f", "!approx x TTL k").is_err());
    assert!(parse_corpus("f", "!sort").is_err());
}

#[test]
fn comparator_detects_differences() {
    assert!(compare(Check::Exact, b"$1\r\na\r\n", b"$1\r\na\r\n").is_ok());
    assert!(compare(Check::Exact, b"$1\r\na\r\n", b"$1\r\nb\r\n").is_err());
    assert!(compare(Check::Exact, b"$-1\r\n", b"_\r\n").is_err());
    assert!(compare(Check::Ignore, b"+OK\r\n", b"-ERR no\r\n").is_ok());
    assert!(compare(Check::Type, b":1\r\n", b":2\r\n").is_ok());
    assert!(compare(Check::Type, b":1\r\n", b"$1\r\n1\r\n").is_err());
    assert!(compare(Check::Approx(1), b":100\r\n", b":99\r\n").is_ok());
    assert!(compare(Check::Approx(1), b":100\r\n", b":98\r\n").is_err());
    assert!(compare(Check::Approx(1), b":100\r\n", b"$3\r\n100\r\n").is_err());
}

#[test]
fn comparator_sorts_aggregates() {
    let ab = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    let ba = b"*2\r\n$1\r\nb\r\n$1\r\na\r\n";
    let ac = b"*2\r\n$1\r\na\r\n$1\r\nc\r\n";
    assert!(compare(Check::Sort, ab, ba).is_ok());
    assert!(compare(Check::Sort, ab, ac).is_err());
    assert!(compare(Check::Exact, ab, ba).is_err());
    let map1 = b"%2\r\n+k1\r\n:1\r\n+k2\r\n:2\r\n";
    let map2 = b"%2\r\n+k2\r\n:2\r\n+k1\r\n:1\r\n";
    let swapped = b"%2\r\n+k2\r\n:1\r\n+k1\r\n:2\r\n";
    assert!(compare(Check::Sort, map1, map2).is_ok());
    assert!(compare(Check::Sort, map1, swapped).is_err());
    assert!(compare(Check::Sort, b"*-1\r\n", b"*0\r\n").is_err());
}

#[test]
fn frames_are_split_exactly() {
    let two = b"+OK\r\n:5\r\n";
    assert_eq!(common::frame_len(two), Ok(Some(5)));
    assert_eq!(common::frame_len(b"$5\r\nhel"), Ok(None));
    assert_eq!(common::frame_len(b"$-1\r\n"), Ok(Some(5)));
    assert_eq!(common::frame_len(b"_\r\n+x\r\n"), Ok(Some(3)));
    assert_eq!(common::frame_len(b"*2\r\n_\r\n,1.5\r\n"), Ok(Some(13)));
    assert!(common::frame_len(b"?what\r\n").is_err());
}

#[test]
fn listening_line_is_parsed() {
    let parse = common::parse_listening_line;
    let addr = "127.0.0.1:4321".parse().ok();
    assert_eq!(
        parse("2024 INFO shoal: Listening on 127.0.0.1:4321\n"),
        addr
    );
    assert_eq!(
        parse("\u{1b}[32m INFO\u{1b}[0m Listening on 127.0.0.1:4321, 3 threads"),
        addr
    );
    assert_eq!(parse("Starting shoal"), None);
}
