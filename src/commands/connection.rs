//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET. They change or
//! describe the connection itself and never touch a shard.

use super::context::{ConnCtx, ReplyMode};
use super::{BASE, CommandSpec, Run, acl, flags};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::{Reply, RespVersion};
use crate::util::num::parse_i64;

fn ping(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match args.len() {
        1 => r.simple("PONG"),
        2 => r.bulk(&args[1]),
        _ => errors::wrong_arity(r, "ping"),
    }
}

fn echo(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    r.bulk(&args[1]);
}

fn quit(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    r.ok();
    ctx.close_after_reply = true;
}

fn select(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let Some(db) = parse_i64(&args[1]).filter(|&d| d >= i32::MIN as i64 && d <= i32::MAX as i64)
    else {
        return r.error(errors::NOT_INTEGER);
    };
    if db < 0 || db as usize >= ctx.settings.databases {
        return r.error(errors::DB_INDEX_OUT_OF_RANGE);
    }
    ctx.select(db as usize);
    r.ok();
}

/// Checks a password against `requirepass` (the default user); replies on failure.
fn check_password(ctx: &mut ConnCtx, user: Option<&[u8]>, pass: &[u8], r: &mut Reply) -> bool {
    let ok = match (&ctx.settings.requirepass, user) {
        (_, Some(u)) if u != b"default" => false,
        (Some(expected), _) => expected.as_slice() == pass,
        (None, _) => true,
    };
    if !ok {
        r.error(errors::WRONGPASS);
    }
    ctx.authenticated |= ok;
    ok
}

fn auth(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match args.len() {
        2 => {
            if ctx.settings.requirepass.is_none() {
                return r.error(errors::AUTH_NO_PASSWORD);
            }
            if check_password(ctx, None, &args[1], r) {
                r.ok();
            }
        }
        3 => {
            if check_password(ctx, Some(&args[1]), &args[2], r) {
                r.ok();
            }
        }
        _ => r.error(errors::SYNTAX),
    }
}

fn hello(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let mut version = ctx.resp;
    let mut i = 1;
    if args.len() >= 2 {
        match parse_i64(&args[1]) {
            Some(2) => version = RespVersion::Resp2,
            Some(3) => version = RespVersion::Resp3,
            Some(_) => return r.error(errors::NOPROTO),
            None => return r.error("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    let mut name = None;
    while i < args.len() {
        let a = &args[i];
        let left = args.len() - i - 1;
        if a.eq_ignore_ascii_case(b"AUTH") && left >= 2 {
            if !check_password(ctx, Some(&args[i + 1]), &args[i + 2], r) {
                return;
            }
            i += 3;
        } else if a.eq_ignore_ascii_case(b"SETNAME") && left >= 1 {
            if !valid_client_name(&args[i + 1]) {
                return r.error(errors::CLIENT_NAME_INVALID);
            }
            name = Some(args[i + 1].to_vec());
            i += 2;
        } else {
            return r.error_fmt(format_args!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(a)
            ));
        }
    }
    if !ctx.authenticated {
        return r.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(n) = name {
        *ctx.info.name.borrow_mut() = n;
    }
    ctx.resp = version;
    ctx.info
        .resp
        .set(if version == RespVersion::Resp3 { 3 } else { 2 });
    let mut r = Reply::new(r.buffer(), version);
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::commands::server::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if version == RespVersion::Resp3 { 3 } else { 2 });
    r.bulk(b"id");
    r.int(ctx.id as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
}

/// Redis accepts client names of printable ASCII without spaces.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

fn reset(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    ctx.select(0);
    ctx.resp = RespVersion::Resp2;
    ctx.info.resp.set(2);
    ctx.reply_mode = ReplyMode::On;
    ctx.info.name.borrow_mut().clear();
    ctx.info.no_evict.set(false);
    ctx.authenticated = ctx.settings.requirepass.is_none();
    let mut r = Reply::new(r.buffer(), RespVersion::Resp2);
    r.simple("RESET");
}

const CONN: CommandSpec = CommandSpec {
    group: "connection",
    acl: acl::CONNECTION,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: flags::FAST | flags::SENTINEL,
        acl: acl::CONNECTION | acl::FAST,
        summary: "Ping the server",
        run: Run::Conn(ping),
        ..CONN
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::CONNECTION | acl::FAST,
        summary: "Echo the given string",
        run: Run::Conn(echo),
        ..CONN
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: flags::ALLOW_BUSY
            | flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::FAST
            | flags::NO_AUTH,
        acl: acl::CONNECTION | acl::FAST,
        summary: "Close the connection",
        run: Run::Conn(quit),
        ..CONN
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::CONNECTION | acl::FAST,
        since: "1.0.0",
        summary: "Change the selected database for the current connection",
        run: Run::Conn(select),
        ..CONN
    },
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::FAST
            | flags::NO_AUTH
            | flags::SENTINEL
            | flags::ALLOW_BUSY,
        acl: acl::CONNECTION | acl::FAST,
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        run: Run::Conn(auth),
        ..CONN
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::FAST
            | flags::NO_AUTH
            | flags::SENTINEL
            | flags::ALLOW_BUSY,
        acl: acl::CONNECTION | acl::FAST,
        since: "6.0.0",
        summary: "Handshake with Redis",
        run: Run::Conn(hello),
        ..CONN
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::FAST
            | flags::NO_AUTH
            | flags::ALLOW_BUSY,
        acl: acl::CONNECTION | acl::FAST,
        since: "6.2.0",
        summary: "Reset the connection",
        run: Run::Conn(reset),
        ..CONN
    },
];
