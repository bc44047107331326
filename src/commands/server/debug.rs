//! DEBUG: the testing aids of Redis that test suites rely on (SLEEP, SET-ACTIVE-EXPIRE,
//! OBJECT, ERROR, LOG, HELP), gated by `enable-debug-command` like Redis's protected
//! commands. DEBUG is not a table container in Redis: it parses its subcommand itself
//! and answers unknown ones with the "unknown subcommand or wrong number of arguments"
//! error, so it is one coordinator here too.

use std::time::Duration;

use super::help;
use crate::commands::CoordFuture;
use crate::commands::client::is_local;
use crate::commands::context::ConnCtx;
use crate::config::EnableMode;
use crate::errors;
use crate::protocol::args::ArgsBuf;
use crate::shard::{Shard, lru_clock_secs, now_ms};
use crate::storage::ValueRef;
use crate::util::num::strtol;

/// Longest DEBUG SLEEP honoured, so absurd input cannot overflow a `Duration`.
const SLEEP_SECS_MAX: f64 = 1e9;
/// Integers Redis keeps as shared objects (their refcount reads as `INT_MAX`).
const SHARED_INTEGERS_MAX: i64 = 10_000;

/// Subcommands Redis has that shoal does not implement (they answer NOT_IMPLEMENTED
/// rather than "unknown subcommand", which would be misleading).
const UNIMPLEMENTED: &[&str] = &[
    "aof-flush-sleep",
    "assert",
    "change-repl-id",
    "config-rewrite-force-all",
    "crash-and-recover",
    "digest",
    "digest-value",
    "leak",
    "htstats",
    "htstats-key",
    "loadaof",
    "replicate",
    "mallctl",
    "mallctl-str",
    "drop-cluster-packet-filter",
    "oom",
    "panic",
    "populate",
    "protocol",
    "restart",
    "sdslen",
    "segfault",
    "quicklist-packed-threshold",
    "set-skip-checksum-validation",
    "stringmatch-test",
    "structsize",
    "listpack",
    "quicklist",
    "client-eviction",
    "pause-cron",
    "replybuffer",
    "clusterlink",
    "jmap",
];

/// Is DEBUG allowed on this connection (`enable-debug-command`)?
fn allowed(ctx: &ConnCtx) -> bool {
    match ctx.settings.enable_debug_command {
        EnableMode::Yes => true,
        EnableMode::Local => is_local(&ctx.info),
        EnableMode::No => false,
    }
}

pub fn debug<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if !allowed(ctx) {
            return ctx.reply().error(errors::DEBUG_NOT_ALLOWED);
        }
        let a = args.as_args();
        let sub = a[1].to_ascii_lowercase();
        match (sub.as_slice(), a.len()) {
            (b"help", 2) => help::reply(&mut ctx.reply(), help::DEBUG),
            (b"sleep", 3) => {
                runtime_sleep(parse_strtod(&a[2])).await;
                ctx.reply().ok();
            }
            (b"set-active-expire", 3) => {
                let enabled = strtol(&a[2]) != 0;
                ctx.shards
                    .run_on_all(move |s| s.active_expire_enabled = enabled)
                    .await;
                ctx.reply().ok();
            }
            (b"object", 3) => {
                let (db, key) = (ctx.db, a[2].to_vec());
                let shard = ctx.shard_of(&key);
                let line = ctx
                    .shards
                    .run_on(shard, move |s| describe_object(s, db, &key))
                    .await;
                match line {
                    Some(line) => ctx.reply().simple(&line),
                    None => ctx.reply().error(errors::NO_SUCH_KEY),
                }
            }
            (b"error", 3) => {
                let message = &a[2];
                ctx.reply().error_with(|buf| push_single_line(buf, message));
            }
            (b"reload", n) => {
                let options: Vec<&[u8]> = (2..n).map(|i| &a[i][..]).collect();
                super::persist::debug_reload(ctx, &options).await
            }
            (b"log", 3) => {
                tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&a[2]));
                ctx.reply().ok();
            }
            (name, _) if UNIMPLEMENTED.iter().any(|u| u.as_bytes() == name) => {
                ctx.reply().error(errors::NOT_IMPLEMENTED)
            }
            _ => help::subcommand_syntax_error(&mut ctx.reply(), &a[1], "DEBUG"),
        }
    })
}

async fn runtime_sleep(secs: f64) {
    if secs > 0.0 {
        let secs = secs.min(SLEEP_SECS_MAX);
        crate::runtime::sleep(Duration::from_secs_f64(secs)).await;
    }
}

/// C's `strtod` as DEBUG SLEEP uses it: the longest numeric prefix, 0 when none.
fn parse_strtod(bytes: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start();
    let numeric_len = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E')))
        .unwrap_or(text.len());
    (1..=numeric_len)
        .rev()
        .find_map(|len| text[..len].parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// Error text from user input: CR and LF would break the framing, so they become spaces.
fn push_single_line(buf: &mut Vec<u8>, text: &[u8]) {
    buf.extend(
        text.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
}

/// The DEBUG OBJECT line of `key` in `db`, or None when it does not exist. Reads
/// without touching the access clock, as Redis's DEBUG OBJECT does.
fn describe_object(shard: &mut Shard, db: usize, key: &[u8]) -> Option<String> {
    let now = now_ms();
    let table = &shard.dbs.get(db)?.table;
    let entry = table.get(key)?;
    let access = table.access_of(key)?;
    if entry.is_expired(now) {
        return None;
    }
    let refcount = match entry.value() {
        ValueRef::Int(n) if (0..SHARED_INTEGERS_MAX).contains(&n) => i32::MAX as i64,
        _ => 1,
    };
    let clock = lru_clock_secs(now);
    let idle_secs = lru_idle_secs(clock, access);
    Some(format!(
        "Value at:{:p} refcount:{refcount} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{idle_secs}",
        entry as *const _,
        entry.value().encoding(),
        serialized_len(entry.value()),
        access,
    ))
}

/// Seconds between two 24-bit LRU clock readings, across the wrap.
fn lru_idle_secs(now: u32, then: u32) -> u32 {
    const LRU_CLOCK_MAX: u32 = 0xFF_FFFF;
    if now >= then {
        now - then
    } else {
        now + (LRU_CLOCK_MAX - then)
    }
}

/// Bytes of an RDB length prefix.
fn rdb_len_bytes(len: usize) -> usize {
    match len {
        0..64 => 1,
        64..16384 => 2,
        _ if len as u64 <= u32::MAX as u64 => 5,
        _ => 9,
    }
}

/// Bytes the value would take in an RDB file, as DEBUG OBJECT reports it (without LZF
/// compression, which Redis applies to strings longer than 20 bytes).
fn serialized_len(value: ValueRef<'_>) -> usize {
    let mut tmp = [0u8; 20];
    match value {
        ValueRef::Int(n) if i8::try_from(n).is_ok() => 2,
        ValueRef::Int(n) if i16::try_from(n).is_ok() => 3,
        ValueRef::Int(n) if i32::try_from(n).is_ok() => 5,
        other => {
            let len = other.string_bytes(&mut tmp).map_or(0, |b| b.len());
            rdb_len_bytes(len) + len
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Value;

    #[test]
    fn c_number_parsing() {
        assert_eq!(parse_strtod(b"0.5"), 0.5);
        assert_eq!(parse_strtod(b" 2abc"), 2.0);
        assert_eq!(parse_strtod(b"abc"), 0.0);
        assert_eq!(parse_strtod(b"1e"), 1.0);
        assert_eq!(parse_strtod(b"inf"), 0.0);
    }

    #[test]
    fn serialized_lengths_match_redis() {
        assert_eq!(serialized_len(Value::from_bytes(b"hello").as_ref()), 6);
        assert_eq!(serialized_len(Value::from_bytes(b"12").as_ref()), 2);
        assert_eq!(serialized_len(Value::from_bytes(b"1000").as_ref()), 3);
        assert_eq!(serialized_len(Value::from_bytes(b"100000").as_ref()), 5);
        assert_eq!(
            serialized_len(Value::from_bytes(b"10000000000").as_ref()),
            12
        );
        assert_eq!(lru_idle_secs(5, 3), 2);
        assert_eq!(lru_idle_secs(1, 0xFF_FFFE), 2);
    }
}
