//! SLOWLOG GET / LEN / RESET / HELP, as Redis 7.0 has them. Each thread keeps the
//! entries of the commands its connections ran (the dispatch gate records them through
//! [`crate::commands::timing`], on the connection's thread, where the arguments, the
//! client's address and name are at hand), newest first, at most `slowlog-max-len`.
//! Ids come from one process-wide counter, so reading merges the threads' logs by id
//! and keeps the newest `slowlog-max-len` of them: GET and LEN always agree.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use super::server::help;
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::util::num::parse_i64;

/// At most this many arguments are kept per entry; the last slot then says how many
/// more there were (Redis's SLOWLOG_ENTRY_MAX_ARGC).
pub const ENTRY_ARGS_MAX: usize = 32;
/// Arguments longer than this are cut, with a note of how many bytes were left out
/// (Redis's SLOWLOG_ENTRY_MAX_STRING).
pub const ENTRY_ARG_BYTES_MAX: usize = 128;
/// SLOWLOG GET without a count.
const GET_COUNT_DEFAULT: usize = 10;
/// What replaces a password or secret in a logged command (Redis's `shared.redacted`).
const REDACTED: &[u8] = b"(redacted)";
/// CONFIG SET parameters whose values are redacted (Redis's SENSITIVE_CONFIG).
const SENSITIVE_PARAMS: &[&str] = &["masterauth", "masteruser", "requirepass"];

/// Ids increase across the whole server (every thread) and survive RESET, as in Redis.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// One logged command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: u64,
    pub unix_secs: u64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    /// The client's `ip:port`.
    pub peer: String,
    pub client_name: Vec<u8>,
}

thread_local! {
    /// This thread's entries, newest first.
    static LOG: RefCell<VecDeque<Entry>> = const { RefCell::new(VecDeque::new()) };
}

/// Logs a command that ran `duration_us` (the caller checked the threshold), keeping
/// this thread's newest `max_len` entries. `name` is the full name (`config|set`), for
/// the redaction of secrets.
pub fn push(ctx: &ConnCtx, name: &str, args: Args, duration_us: u64, max_len: u64) {
    let entry = Entry {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        unix_secs: unix_secs(),
        duration_us,
        args: logged_args(name, args),
        peer: ctx.info.addr.clone(),
        client_name: ctx.info.name.borrow().clone(),
    };
    LOG.with(|log| {
        let mut log = log.borrow_mut();
        log.push_front(entry);
        log.truncate(usize::try_from(max_len).unwrap_or(usize::MAX));
    });
}

fn unix_secs() -> u64 {
    crate::shard::now_ms() / 1000
}

/// The arguments as the log keeps them: at most [`ENTRY_ARGS_MAX`] (the last saying
/// how many more there were), each cut at [`ENTRY_ARG_BYTES_MAX`] bytes, secrets
/// redacted.
pub fn logged_args(name: &str, args: Args) -> Vec<Vec<u8>> {
    let argc = args.len();
    let kept = argc.min(ENTRY_ARGS_MAX);
    let redacted = redacted_positions(name, args);
    let mut out = Vec::with_capacity(kept);
    for (i, arg) in args.iter().take(kept).enumerate() {
        if kept != argc && i == kept - 1 {
            out.push(format!("... ({} more arguments)", argc - kept + 1).into_bytes());
        } else if redacted.contains(&i) {
            out.push(REDACTED.to_vec());
        } else if arg.len() > ENTRY_ARG_BYTES_MAX {
            let mut cut = arg[..ENTRY_ARG_BYTES_MAX].to_vec();
            let more = arg.len() - ENTRY_ARG_BYTES_MAX;
            cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            out.push(cut);
        } else {
            out.push(arg.to_vec());
        }
    }
    out
}

/// Which arguments Redis 7.0 redacts: AUTH's, HELLO's AUTH user and password, and the
/// values of sensitive parameters in CONFIG SET.
fn redacted_positions(name: &str, args: Args) -> Vec<usize> {
    match name {
        "auth" => (1..args.len()).collect(),
        "hello" => {
            let mut at = Vec::new();
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args[j].eq_ignore_ascii_case(b"AUTH") && more >= 2 {
                    at.extend([j + 1, j + 2]);
                    j += 3;
                } else if args[j].eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
            at
        }
        "config|set" => (2..args.len())
            .step_by(2)
            .filter(|&i| {
                i + 1 < args.len()
                    && SENSITIVE_PARAMS
                        .iter()
                        .any(|p| p.as_bytes().eq_ignore_ascii_case(&args[i]))
            })
            .map(|i| i + 1)
            .collect(),
        _ => Vec::new(),
    }
}

/// This thread's newest `count` entries (at most), newest first.
fn newest(count: usize) -> Vec<Entry> {
    LOG.with(|log| log.borrow().iter().take(count).cloned().collect())
}

fn len() -> usize {
    LOG.with(|log| log.borrow().len())
}

fn reset() {
    LOG.with(|log| log.borrow_mut().clear());
}

/// Merges the threads' newest-first logs into the server's newest `count`, newest first.
pub fn merge(parts: Vec<Vec<Entry>>, count: usize) -> Vec<Entry> {
    let mut all: Vec<Entry> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|e| std::cmp::Reverse(e.id));
    all.truncate(count);
    all
}

fn write_entry(r: &mut Reply, e: &Entry) {
    r.array(6);
    r.int(e.id as i64);
    r.int(e.unix_secs as i64);
    r.int(e.duration_us as i64);
    r.array(e.args.len());
    for a in &e.args {
        r.bulk(a);
    }
    r.bulk(e.peer.as_bytes());
    r.bulk(&e.client_name);
}

fn max_len(ctx: &ConnCtx) -> usize {
    usize::try_from(ctx.settings.monitor.slowlog_max_len).unwrap_or(usize::MAX)
}

/// SLOWLOG GET [count]: count -1 means every entry.
fn get<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if a.len() > 3 {
            return help::subcommand_syntax_error(&mut ctx.reply(), &a[1], "SLOWLOG");
        }
        let count = match a.get(2).map(parse_i64) {
            None => GET_COUNT_DEFAULT,
            Some(Some(-1)) => usize::MAX,
            Some(Some(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(_) => return ctx.reply().error(errors::SLOWLOG_COUNT),
        };
        let count = count.min(max_len(ctx));
        let parts = ctx.shards.run_on_all(move |_| newest(count)).await;
        let entries = merge(parts, count);
        let mut r = ctx.reply();
        r.array(entries.len());
        for e in &entries {
            write_entry(&mut r, e);
        }
    })
}

fn len_cmd<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let max = max_len(ctx);
        let lens = ctx.shards.run_on_all(|_| len()).await;
        let total = lens.into_iter().map(|n| n.min(max)).sum::<usize>().min(max);
        ctx.reply().int(total as i64);
    })
}

fn reset_cmd<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        ctx.shards.run_on_all(|_| reset()).await;
        ctx.reply().ok();
    })
}

fn help_cmd(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::SLOWLOG);
}

const SUB: CommandSpec = CommandSpec {
    arity: 2,
    flags: flags::ADMIN | flags::LOADING | flags::STALE,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    group: "server",
    since: "2.2.12",
    ..BASE
};

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: -2,
        summary: "Get the slow log's entries",
        complexity: "O(N) where N is the number of entries returned",
        run: Run::Coord(get),
        ..SUB
    },
    CommandSpec {
        name: "len",
        summary: "Get the slow log's length",
        run: Run::Coord(len_cmd),
        ..SUB
    },
    CommandSpec {
        name: "reset",
        summary: "Clear all entries from the slow log",
        complexity: "O(N) where N is the number of entries in the slowlog",
        run: Run::Coord(reset_cmd),
        ..SUB
    },
    CommandSpec {
        name: "help",
        flags: flags::LOADING | flags::STALE,
        acl: acl::SLOW,
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(help_cmd),
        ..SUB
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "slowlog",
    arity: -2,
    acl: acl::SLOW,
    group: "server",
    since: "2.2.12",
    summary: "A container for slow log commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(items: &[&[u8]]) -> ArgsBuf {
        ArgsBuf::from_slices(items.iter().copied())
    }

    fn texts(v: &[Vec<u8>]) -> Vec<String> {
        v.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn long_commands_keep_31_arguments_and_a_count() {
        let mut items: Vec<Vec<u8>> = vec![b"rpush".to_vec(), b"l".to_vec()];
        items.extend((1..=40).map(|i| i.to_string().into_bytes()));
        let buf = ArgsBuf::from_slices(items.iter().map(|a| a.as_slice()));
        let logged = logged_args("rpush", buf.as_args());
        assert_eq!(logged.len(), ENTRY_ARGS_MAX);
        assert_eq!(logged[30], b"29");
        assert_eq!(logged[31], b"... (11 more arguments)");
        // Exactly 32 arguments are kept as they are.
        let buf = ArgsBuf::from_slices(items.iter().take(32).map(|a| a.as_slice()));
        let logged = logged_args("rpush", buf.as_args());
        assert_eq!(logged.len(), 32);
        assert_eq!(logged[31], b"30");
    }

    #[test]
    fn long_arguments_are_cut_at_128_bytes() {
        let long = vec![b'x'; 200];
        let exact = vec![b'y'; 128];
        let buf = args_of(&[b"set", &long, &exact]);
        let logged = logged_args("set", buf.as_args());
        let mut want = vec![b'x'; 128];
        want.extend_from_slice(b"... (72 more bytes)");
        assert_eq!(logged[1], want);
        assert_eq!(logged[2], exact);
    }

    #[test]
    fn secrets_are_redacted() {
        let buf = args_of(&[b"AUTH", b"user", b"pass"]);
        assert_eq!(
            texts(&logged_args("auth", buf.as_args())),
            ["AUTH", "(redacted)", "(redacted)"]
        );
        let buf = args_of(&[b"hello", b"3", b"setname", b"x", b"auth", b"u", b"p"]);
        assert_eq!(
            texts(&logged_args("hello", buf.as_args())),
            [
                "hello",
                "3",
                "setname",
                "x",
                "auth",
                "(redacted)",
                "(redacted)"
            ]
        );
        let buf = args_of(&[b"hello", b"3", b"auth", b"u"]);
        assert_eq!(
            texts(&logged_args("hello", buf.as_args())),
            ["hello", "3", "auth", "u"]
        );
        let buf = args_of(&[
            b"config",
            b"set",
            b"MasterAuth",
            b"a",
            b"maxmemory",
            b"0",
            b"requirepass",
            b"b",
        ]);
        assert_eq!(
            texts(&logged_args("config|set", buf.as_args())),
            [
                "config",
                "set",
                "MasterAuth",
                "(redacted)",
                "maxmemory",
                "0",
                "requirepass",
                "(redacted)"
            ]
        );
    }

    fn entry(id: u64) -> Entry {
        Entry {
            id,
            unix_secs: 0,
            duration_us: 0,
            args: vec![],
            peer: String::new(),
            client_name: vec![],
        }
    }

    #[test]
    fn merge_takes_the_newest_by_id() {
        let a = vec![entry(9), entry(4), entry(1)];
        let b = vec![entry(8), entry(7), entry(2)];
        let ids = |v: Vec<Entry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(merge(vec![a.clone(), b.clone()], 4)), [9, 8, 7, 4]);
        assert_eq!(ids(merge(vec![a, b, vec![]], 100)), [9, 8, 7, 4, 2, 1]);
        assert!(merge(vec![], 10).is_empty());
    }

    #[test]
    fn the_thread_log_is_bounded_and_newest_first() {
        reset();
        LOG.with(|log| {
            let mut log = log.borrow_mut();
            for id in 0..5 {
                log.push_front(entry(id));
                log.truncate(3);
            }
        });
        assert_eq!(len(), 3);
        let ids: Vec<u64> = newest(10).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        reset();
        assert_eq!(len(), 0);
    }
}
