//! CLIENT: the connection's own settings (ID, SETNAME, GETNAME, SETINFO, REPLY,
//! NO-EVICT), the views over every connection (LIST, INFO, KILL) and UNBLOCK (wakes a
//! client blocked in BLPOP and friends, see `shard::blocking`).
//!
//! Connections live on the thread that accepted them and each thread keeps its own
//! registry (`context::CLIENTS`), so LIST and KILL fan out to every thread with
//! `run_on_all` and merge the answers; a kill is carried out by the owning thread, which
//! marks the client and shuts its socket down so the pending read wakes and the
//! connection ends there.

use std::net::SocketAddr;
use std::time::Instant;

use std::sync::atomic::Ordering;

use super::context::{CLIENTS, ClientInfo, ConnCtx, ReplyMode};
use super::server::help;
use super::{BASE, CommandSpec, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::util::num::parse_i64;

/// Reply buffer size CLIENT LIST reports (`rbs`): connections start with this much.
const REPLY_BUFFER_BYTES: usize = 16 * 1024;

// ---- the connection's own settings ---------------------------------------------------

fn id(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    r.int(ctx.id as i64);
}

fn setname(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let name = &args[2];
    if !super::connection::valid_client_name(name) {
        return r.error(errors::CLIENT_NAME_INVALID);
    }
    *ctx.info.name.borrow_mut() = name.to_vec();
    r.ok();
}

fn getname(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let name = ctx.info.name.borrow();
    if name.is_empty() {
        r.null();
    } else {
        r.bulk(&name);
    }
}

/// CLIENT SETINFO (Redis 7.2, sent by current client libraries on connect).
fn setinfo(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let (attr, value) = (&args[2], &args[3]);
    let target = if attr.eq_ignore_ascii_case(b"LIB-NAME") {
        &ctx.info.lib_name
    } else if attr.eq_ignore_ascii_case(b"LIB-VER") {
        &ctx.info.lib_ver
    } else {
        return r.error_fmt(format_args!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(attr)
        ));
    };
    if !super::connection::valid_client_name(value) {
        return r.error_fmt(format_args!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(attr)
        ));
    }
    *target.borrow_mut() = value.to_vec();
    r.ok();
}

/// CLIENT REPLY: ON answers OK; OFF and SKIP answer nothing (the gate drops replies
/// while the mode is not On).
fn reply_mode(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let mode = &args[2];
    if mode.eq_ignore_ascii_case(b"ON") {
        ctx.reply_mode = ReplyMode::On;
        r.ok();
    } else if mode.eq_ignore_ascii_case(b"OFF") {
        ctx.reply_mode = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"SKIP") {
        if ctx.reply_mode != ReplyMode::Off {
            ctx.reply_mode = ReplyMode::Skip;
        }
    } else {
        r.error(errors::SYNTAX);
    }
}

fn no_evict(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let mode = &args[2];
    if mode.eq_ignore_ascii_case(b"ON") {
        ctx.info.no_evict.set(true);
    } else if mode.eq_ignore_ascii_case(b"OFF") {
        ctx.info.no_evict.set(false);
    } else {
        return r.error(errors::SYNTAX);
    }
    r.ok();
}

/// CLIENT PAUSE timeout [WRITE|ALL] (ALL by default): until the deadline, the gate
/// holds back every command (ALL) or those that write (WRITE), on every connection.
/// A pause already running is extended, never shortened, and ALL wins over WRITE.
fn pause(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    if args.len() > 4 {
        return help::subcommand_syntax_error(r, &args[1], "CLIENT");
    }
    let Some(timeout_ms) = parse_i64(&args[2]) else {
        return r.error(errors::CLIENT_PAUSE_TIMEOUT_NOT_INTEGER);
    };
    if timeout_ms < 0 {
        return r.error(errors::TIMEOUT_NEGATIVE);
    }
    let mode_ok = args
        .get(3)
        .is_none_or(|m| m.eq_ignore_ascii_case(b"WRITE") || m.eq_ignore_ascii_case(b"ALL"));
    if !mode_ok {
        return r.error(errors::CLIENT_PAUSE_MODE);
    }
    let all = args.get(3).is_none_or(|m| m.eq_ignore_ascii_case(b"ALL"));
    let until = crate::shard::now_ms().saturating_add(timeout_ms as u64);
    let server = &ctx.server;
    let running = server.pause_until_ms.load(Ordering::Relaxed) > crate::shard::now_ms();
    server.pause_all.store(
        all || (running && server.pause_all.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    server.pause_until_ms.fetch_max(until, Ordering::Relaxed);
    r.ok();
}

fn unpause(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    ctx.server.pause_until_ms.store(0, Ordering::Relaxed);
    ctx.server.pause_all.store(false, Ordering::Relaxed);
    r.ok();
}

fn client_help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::CLIENT);
}

// ---- LIST / INFO ---------------------------------------------------------------------

/// Client types of TYPE filters. Every shoal connection is `normal` (no replication,
/// pub/sub connections are not told apart yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientType {
    Normal,
    Master,
    Replica,
    PubSub,
}

fn client_type(name: &[u8]) -> Option<ClientType> {
    let t = match name.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"master" => ClientType::Master,
        b"replica" | b"slave" => ClientType::Replica,
        b"pubsub" => ClientType::PubSub,
        _ => return None,
    };
    Some(t)
}

fn unknown_type(r: &mut Reply, name: &[u8]) {
    r.error_fmt(format_args!(
        "ERR Unknown client type '{}'",
        String::from_utf8_lossy(name)
    ));
}

/// One CLIENT LIST line (without the newline), fields as Redis 7.0 prints them. The
/// caller's own line names the command it is running (`cmd_now`), as Redis does.
fn client_line(c: &ClientInfo, now: Instant, cmd_now: Option<&str>) -> String {
    let name = String::from_utf8_lossy(&c.name.borrow()).into_owned();
    let blocked = c.blocked_on.borrow().is_some();
    let flags = match (c.kill_requested.get(), c.no_evict.get()) {
        (false, false) if blocked => "b",
        (true, true) => "Ae",
        (true, false) => "A",
        (false, true) => "e",
        (false, false) => "N",
    };
    let qbuf_bytes = c.query_buffer_bytes.get();
    let obuf_bytes = c.output_buffer_bytes.get();
    let tot_mem_bytes = qbuf_bytes + REPLY_BUFFER_BYTES + std::mem::size_of::<ClientInfo>();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        name,
        now.saturating_duration_since(c.created).as_secs(),
        now.saturating_duration_since(c.last_interaction.get())
            .as_secs(),
        flags,
        c.db.get(),
        qbuf_bytes,
        REPLY_BUFFER_BYTES,
        obuf_bytes,
        tot_mem_bytes,
        cmd_now.unwrap_or(c.last_cmd.get()),
        c.resp.get(),
    )
}

/// Which clients LIST shows.
#[derive(Clone, Debug, Default)]
struct ListFilter {
    ids: Option<Vec<u64>>,
    kind: Option<ClientType>,
}

fn parse_list_filter(args: &ArgsBuf, r: &mut Reply) -> Option<ListFilter> {
    let a = args.as_args();
    let mut filter = ListFilter::default();
    if a.len() == 4 && a[2].eq_ignore_ascii_case(b"TYPE") {
        match client_type(&a[3]) {
            Some(t) => filter.kind = Some(t),
            None => {
                unknown_type(r, &a[3]);
                return None;
            }
        }
    } else if a.len() >= 4 && a[2].eq_ignore_ascii_case(b"ID") {
        let mut ids = Vec::with_capacity(a.len() - 3);
        for raw in a.skip(3) {
            // Redis accepts any integer here; ids below 1 simply match nobody.
            match parse_i64(raw) {
                Some(v) => ids.push(v as u64),
                None => {
                    r.error(errors::CLIENT_INVALID_ID);
                    return None;
                }
            }
        }
        filter.ids = Some(ids);
    } else if a.len() != 2 {
        r.error(errors::SYNTAX);
        return None;
    }
    Some(filter)
}

/// Lines of this thread's clients that pass `filter`, with their ids.
fn local_lines(filter: &ListFilter, caller: (u64, &str)) -> Vec<(u64, String)> {
    if filter.kind.is_some_and(|k| k != ClientType::Normal) {
        return Vec::new();
    }
    let now = Instant::now();
    CLIENTS.with(|clients| {
        clients
            .borrow()
            .iter()
            .filter(|c| filter.ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
            .map(|c| {
                let cmd_now = (c.id == caller.0).then_some(caller.1);
                (c.id, client_line(c, now, cmd_now))
            })
            .collect()
    })
}

fn list<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let Some(filter) = parse_list_filter(args, &mut ctx.reply()) else {
            return;
        };
        let caller = ctx.id;
        let parts = ctx
            .shards
            .run_on_all(move |_| local_lines(&filter, (caller, "client|list")))
            .await;
        let mut lines: Vec<(u64, String)> = parts.into_iter().flatten().collect();
        lines.sort_by_key(|(id, _)| *id);
        let mut text = String::new();
        for (_, line) in lines {
            text.push_str(&line);
            text.push('\n');
        }
        ctx.reply().verbatim(b"txt", text.as_bytes());
    })
}

fn info(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let mut line = client_line(&ctx.info, Instant::now(), Some("client|info"));
    line.push('\n');
    r.verbatim(b"txt", line.as_bytes());
}

// ---- KILL ----------------------------------------------------------------------------

/// Which clients KILL ends. `None` fields match everything.
#[derive(Clone, Debug)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    kind: Option<ClientType>,
    skip_me: bool,
    /// The old `CLIENT KILL addr` form: replies OK or an error instead of a count.
    old_form: bool,
}

fn parse_kill_filter(args: &ArgsBuf, r: &mut Reply) -> Option<KillFilter> {
    let a = args.as_args();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut f = KillFilter {
        id: None,
        addr: None,
        laddr: None,
        kind: None,
        skip_me: true,
        old_form: a.len() == 3,
    };
    if f.old_form {
        f.addr = Some(text(&a[2]));
        // With the old form a client may kill itself.
        f.skip_me = false;
        return Some(f);
    }
    let mut i = 2;
    while i < a.len() {
        let (option, value) = (&a[i], a.get(i + 1));
        let Some(value) = value else {
            r.error(errors::SYNTAX);
            return None;
        };
        if option.eq_ignore_ascii_case(b"ID") {
            match parse_i64(value).filter(|&v| v > 0) {
                Some(v) => f.id = Some(v as u64),
                None => {
                    r.error(errors::CLIENT_ID_NOT_POSITIVE);
                    return None;
                }
            }
        } else if option.eq_ignore_ascii_case(b"TYPE") {
            match client_type(value) {
                Some(t) => f.kind = Some(t),
                None => {
                    unknown_type(r, value);
                    return None;
                }
            }
        } else if option.eq_ignore_ascii_case(b"ADDR") {
            f.addr = Some(text(value));
        } else if option.eq_ignore_ascii_case(b"LADDR") {
            f.laddr = Some(text(value));
        } else if option.eq_ignore_ascii_case(b"USER") {
            // Only the default user exists until ACLs do; every client is logged in as it.
            if value != b"default" {
                r.error_fmt(format_args!("ERR No such user '{}'", text(value)));
                return None;
            }
        } else if option.eq_ignore_ascii_case(b"SKIPME") {
            if value.eq_ignore_ascii_case(b"YES") {
                f.skip_me = true;
            } else if value.eq_ignore_ascii_case(b"NO") {
                f.skip_me = false;
            } else {
                r.error(errors::SYNTAX);
                return None;
            }
        } else {
            r.error(errors::SYNTAX);
            return None;
        }
        i += 2;
    }
    Some(f)
}

impl KillFilter {
    fn matches(&self, c: &ClientInfo) -> bool {
        self.id.is_none_or(|id| c.id == id)
            && self.addr.as_ref().is_none_or(|a| *a == c.addr)
            && self.laddr.as_ref().is_none_or(|a| *a == c.laddr)
            && self.kind.is_none_or(|k| k == ClientType::Normal)
            && !c.kill_requested.get()
    }
}

/// Kills this thread's matching clients; returns how many matched and whether the
/// caller is among them (it is closed after its reply instead).
fn kill_local(filter: &KillFilter, caller: u64) -> (usize, bool) {
    CLIENTS.with(|clients| {
        let mut killed = 0;
        let mut caller_killed = false;
        for c in clients.borrow().iter().filter(|c| filter.matches(c)) {
            if c.id == caller {
                if filter.skip_me {
                    continue;
                }
                caller_killed = true;
            } else {
                c.kill_requested.set(true);
                // SAFETY: the fd belongs to a connection of this thread that is still
                // registered; shutdown only ends its I/O (the owner closes the fd), which
                // wakes its pending read so the connection task returns.
                unsafe {
                    libc::shutdown(c.fd, libc::SHUT_RDWR);
                }
            }
            killed += 1;
        }
        (killed, caller_killed)
    })
}

fn kill<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let Some(filter) = parse_kill_filter(args, &mut ctx.reply()) else {
            return;
        };
        let old_form = filter.old_form;
        let caller = ctx.id;
        let parts = ctx
            .shards
            .run_on_all(move |_| kill_local(&filter, caller))
            .await;
        let killed: usize = parts.iter().map(|(n, _)| n).sum();
        if parts.iter().any(|(_, me)| *me) {
            ctx.close_after_reply = true;
        }
        let mut r = ctx.reply();
        match (old_form, killed) {
            (true, 0) => r.error(errors::NO_SUCH_CLIENT),
            (true, _) => r.ok(),
            (false, n) => r.int(n as i64),
        }
    })
}

// ---- UNBLOCK -------------------------------------------------------------------------

/// Wakes the blocked client `id` if it lives on this thread; true when it was blocked.
fn unblock_local(id: u64, error: bool) -> bool {
    CLIENTS.with(|clients| {
        let clients = clients.borrow();
        let Some(c) = clients.iter().find(|c| c.id == id) else {
            return false;
        };
        let waiter = c.blocked_on.borrow().clone();
        match waiter {
            Some(w) if w.claim() => {
                w.finish(crate::shard::blocking::Wake::Unblocked { error });
                true
            }
            _ => false,
        }
    })
}

fn unblock<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if a.len() > 4 {
            return help::subcommand_syntax_error(&mut ctx.reply(), &a[1], "CLIENT");
        }
        let mut error = false;
        if a.len() == 4 {
            if a[3].eq_ignore_ascii_case(b"TIMEOUT") {
                error = false;
            } else if a[3].eq_ignore_ascii_case(b"ERROR") {
                error = true;
            } else {
                return ctx.reply().error(errors::CLIENT_UNBLOCK_REASON);
            }
        }
        let Some(id) = parse_i64(&a[2]) else {
            return ctx.reply().error(errors::NOT_INTEGER);
        };
        let parts = ctx
            .shards
            .run_on_all(move |_| unblock_local(id as u64, error))
            .await;
        ctx.reply().int(parts.into_iter().any(|b| b) as i64);
    })
}

/// Is the peer on this machine (loopback TCP)? DEBUG's `local` mode allows only those.
pub fn is_local(info: &ClientInfo) -> bool {
    info.addr
        .parse::<SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback())
}

// ---- table ---------------------------------------------------------------------------

const SUB: CommandSpec = CommandSpec {
    group: "connection",
    flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
    acl: acl::SLOW | acl::CONNECTION,
    ..BASE
};
const ADMIN_SUB: CommandSpec = CommandSpec {
    flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION,
    ..SUB
};

pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "id",
        arity: 2,
        since: "5.0.0",
        summary: "Returns the client ID for the current connection",
        run: Run::Conn(id),
        ..SUB
    },
    CommandSpec {
        name: "setname",
        arity: 3,
        since: "2.6.9",
        summary: "Set the current connection name",
        run: Run::Conn(setname),
        ..SUB
    },
    CommandSpec {
        name: "getname",
        arity: 2,
        since: "2.6.9",
        summary: "Get the current connection name",
        run: Run::Conn(getname),
        ..SUB
    },
    CommandSpec {
        name: "setinfo",
        arity: 4,
        since: "7.2.0",
        summary: "Sets information specific to the client or connection.",
        run: Run::Conn(setinfo),
        ..SUB
    },
    CommandSpec {
        name: "list",
        arity: -2,
        since: "2.4.0",
        summary: "Get the list of client connections",
        complexity: "O(N) where N is the number of client connections",
        run: Run::Coord(list),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "info",
        arity: 2,
        since: "6.2.0",
        summary: "Returns information about the current client connection.",
        run: Run::Conn(info),
        ..SUB
    },
    CommandSpec {
        name: "kill",
        arity: -3,
        since: "2.4.0",
        summary: "Kill the connection of a client",
        complexity: "O(N) where N is the number of client connections",
        run: Run::Coord(kill),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "unblock",
        arity: -3,
        since: "5.0.0",
        summary: "Unblock a client blocked in a blocking command from a different connection",
        complexity: "O(log N) where N is the number of client connections",
        run: Run::Coord(unblock),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "reply",
        arity: 3,
        since: "3.2.0",
        summary: "Instruct the server whether to reply to commands",
        run: Run::Conn(reply_mode),
        ..SUB
    },
    CommandSpec {
        name: "no-evict",
        arity: 3,
        since: "7.0.0",
        summary: "Set client eviction mode for the current connection",
        run: Run::Conn(no_evict),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "pause",
        arity: -3,
        since: "2.9.50",
        summary: "Stop processing commands from clients for some time",
        run: Run::Conn(pause),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "unpause",
        arity: 2,
        since: "6.2.0",
        summary: "Resume processing of clients that were paused",
        complexity: "O(N) Where N is the number of paused clients",
        run: Run::Conn(unpause),
        ..ADMIN_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        since: "5.0.0",
        flags: flags::LOADING | flags::STALE,
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(client_help),
        ..SUB
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "client",
    arity: -2,
    acl: acl::SLOW,
    group: "connection",
    since: "2.4.0",
    summary: "A container for client connection commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::RespVersion;

    fn render(f: impl FnOnce(&mut Reply)) -> String {
        let mut buf = Vec::new();
        f(&mut Reply::new(&mut buf, RespVersion::Resp2));
        String::from_utf8(buf).unwrap()
    }

    fn args(parts: &[&str]) -> ArgsBuf {
        ArgsBuf::from_slices(parts.iter().map(|p| p.as_bytes()))
    }

    /// Parses a KILL filter; returns it and the error text written (if any).
    fn parse_kill(parts: &[&str]) -> (Option<KillFilter>, String) {
        let mut buf = Vec::new();
        let f = parse_kill_filter(&args(parts), &mut Reply::new(&mut buf, RespVersion::Resp2));
        (f, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn kill_filters_parse_like_redis() {
        let (f, _) = parse_kill(&["client", "kill", "1.2.3.4:5"]);
        let f = f.unwrap();
        assert!(f.old_form && !f.skip_me);
        for (parts, error) in [
            (
                &["client", "kill", "id", "0"][..],
                "-ERR client-id should be greater than 0\r\n",
            ),
            (
                &["client", "kill", "id", "x"][..],
                "-ERR client-id should be greater than 0\r\n",
            ),
            (
                &["client", "kill", "id", "1", "id"][..],
                "-ERR syntax error\r\n",
            ),
            (
                &["client", "kill", "type", "foo"][..],
                "-ERR Unknown client type 'foo'\r\n",
            ),
            (
                &["client", "kill", "user", "bob"][..],
                "-ERR No such user 'bob'\r\n",
            ),
            (
                &["client", "kill", "skipme", "maybe"][..],
                "-ERR syntax error\r\n",
            ),
            (
                &["client", "kill", "foo", "bar"][..],
                "-ERR syntax error\r\n",
            ),
        ] {
            let (f, out) = parse_kill(parts);
            assert!(f.is_none(), "{parts:?}");
            assert_eq!(out, error, "{parts:?}");
        }
        let (f, _) = parse_kill(&["client", "kill", "ID", "7", "SKIPME", "no"]);
        let f = f.unwrap();
        assert_eq!((f.id, f.skip_me, f.old_form), (Some(7), false, false));
    }

    #[test]
    fn list_filters_parse_like_redis() {
        let bad = |parts: &[&str]| {
            render(|r| {
                assert!(parse_list_filter(&args(parts), r).is_none());
            })
        };
        assert_eq!(
            bad(&["client", "list", "id", "abc"]),
            "-ERR Invalid client ID\r\n"
        );
        assert_eq!(bad(&["client", "list", "id"]), "-ERR syntax error\r\n");
        assert_eq!(
            bad(&["client", "list", "type", "foo"]),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(bad(&["client", "list", "foo"]), "-ERR syntax error\r\n");
    }
}
