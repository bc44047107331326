//! Server and introspection commands against an in-process server with three threads:
//! INFO, COMMAND (INFO/DOCS/LIST/GETKEYS/COUNT/HELP), CLIENT, DEBUG, SHUTDOWN, CONFIG
//! HELP/REWRITE and the FUNCTION/SCRIPT placeholders (redis-cli: `redis_tools.rs`).
//! Expected texts are Redis 7.0.15's.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use redis::{Connection, Value};
use shoal::server::ServerHandle;

mod common;

use common::client::{connect, connect_resp3, error, int, query, start_server, strings, text};

fn start_with(extra: &[&str]) -> ServerHandle {
    start_server(3, extra)
}

fn start() -> ServerHandle {
    start_with(&[])
}

/// A raw RESP connection, for replies the redis crate would hide (CLIENT REPLY) and
/// for watching a socket close.
struct Raw {
    stream: TcpStream,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        Raw { stream }
    }

    fn send(&mut self, args: &[&str]) {
        let mut buf = format!("*{}\r\n", args.len());
        for a in args {
            buf.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.stream.write_all(buf.as_bytes()).unwrap();
    }

    /// Everything that arrives until the socket is quiet for the read timeout.
    fn read_all(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return out,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Has the server closed this connection (EOF or reset within `within`)?
    fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut chunk = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return true,
            }
        }
        false
    }
}

// ---- COMMAND -----------------------------------------------------------------------

#[test]
fn command_count_matches_the_table() {
    let server = start();
    let mut con = connect(server.addr);
    let table = shoal::commands::all().count() as i64;
    assert_eq!(int(&mut con, &["COMMAND", "COUNT"]), table);
    match query(&mut con, &["COMMAND"]).unwrap() {
        Value::Array(all) => assert_eq!(all.len() as i64, table),
        other => panic!("{other:?}"),
    }
    let listed = strings(&query(&mut con, &["COMMAND", "LIST"]).unwrap());
    let with_subcommands = shoal::commands::all()
        .map(|s| 1 + s.subcommands.len())
        .sum::<usize>();
    assert_eq!(listed.len(), with_subcommands);
    assert!(listed.contains(&"client|list".to_string()), "{listed:?}");
    server.shutdown();
}

/// Checks one COMMAND INFO entry against its spec; recurses into subcommands.
fn check_info_entry(entry: &Value, spec: &shoal::commands::CommandSpec, full_name: &str) {
    let Value::Array(fields) = entry else {
        panic!("{full_name}: {entry:?}");
    };
    assert_eq!(fields.len(), 10, "{full_name}");
    assert_eq!(fields[0], Value::BulkString(full_name.as_bytes().to_vec()));
    assert_eq!(fields[1], Value::Int(spec.arity as i64), "{full_name}");
    let flags = strings(&fields[2]);
    assert_eq!(
        flags.contains(&"write".to_string()),
        spec.is_write(),
        "{full_name}"
    );
    assert_eq!(fields[3], Value::Int(spec.keys.first as i64));
    assert_eq!(fields[4], Value::Int(spec.keys.last as i64));
    assert_eq!(fields[5], Value::Int(spec.keys.step as i64));
    let categories = strings(&fields[6]);
    assert!(categories.iter().all(|c| c.starts_with('@')), "{full_name}");
    let key_specs = match &fields[8] {
        Value::Array(v) | Value::Set(v) => v.len(),
        other => panic!("{other:?}"),
    };
    // The key specs the command declares (one per group of keys with its own flags, as
    // LMOVE's source and destination), or else one for the fixed keys plus one for keys
    // counted by a numkeys argument. Any spec but an index with a range moves keys.
    let declared = shoal::commands::server::docs::key_specs_of(full_name);
    let expected = match declared {
        Some(specs) => specs.len(),
        None => (spec.keys.first > 0) as usize + (spec.keys.numkeys_at > 0) as usize,
    };
    assert_eq!(key_specs, expected, "{full_name}");
    let movable = spec.flags & shoal::commands::flags::MOVABLEKEYS != 0
        || declared.is_some_and(|specs| specs.iter().any(|s| s.is_movable()));
    assert_eq!(
        flags.contains(&"movablekeys".to_string()),
        movable,
        "{full_name}"
    );
    let (Value::Array(subs) | Value::Set(subs)) = &fields[9] else {
        panic!("{full_name}: subcommands {:?}", fields[9]);
    };
    assert_eq!(subs.len(), spec.subcommands.len(), "{full_name}");
    for (sub_entry, sub) in subs.iter().zip(spec.subcommands) {
        check_info_entry(sub_entry, sub, &format!("{full_name}|{}", sub.name));
    }
}

#[test]
fn command_info_round_trips_every_command() {
    let server = start();
    for resp3 in [false, true] {
        let mut con = if resp3 {
            connect_resp3(server.addr)
        } else {
            connect(server.addr)
        };
        for spec in shoal::commands::all() {
            let reply = query(&mut con, &["COMMAND", "INFO", spec.name]).unwrap();
            let Value::Array(entries) = reply else {
                panic!("{}: {reply:?}", spec.name);
            };
            assert_eq!(entries.len(), 1);
            check_info_entry(&entries[0], spec, spec.name);
        }
        let reply = query(
            &mut con,
            &["COMMAND", "INFO", "get", "nosuch", "CONFIG|GET"],
        )
        .unwrap();
        let Value::Array(entries) = reply else {
            panic!("{reply:?}");
        };
        assert_eq!(entries[1], Value::Nil);
        let get = shoal::commands::lookup(b"config")
            .and_then(|c| c.find_subcommand(b"get"))
            .unwrap();
        check_info_entry(&entries[2], get, "config|get");
    }
    server.shutdown();
}

#[test]
fn command_info_of_get_is_byte_exact() {
    let server = start();
    let mut raw = Raw::connect(server.addr);
    raw.send(&["COMMAND", "INFO", "get"]);
    let expected = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
    assert_eq!(String::from_utf8(raw.read_all()).unwrap(), expected);
    server.shutdown();
}

#[test]
fn command_docs_list_getkeys_and_help() {
    let server = start();
    let mut con = connect_resp3(server.addr);
    let docs = query(&mut con, &["COMMAND", "DOCS", "set", "nosuch", "config"]).unwrap();
    let Value::Map(entries) = docs else {
        panic!("{docs:?}");
    };
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].0, Value::BulkString(b"set".to_vec()));
    let Value::Map(set_doc) = &entries[0].1 else {
        panic!();
    };
    let keys: Vec<String> = set_doc
        .iter()
        .map(|(k, _)| match k {
            Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        keys,
        [
            "summary",
            "since",
            "group",
            "complexity",
            "history",
            "arguments"
        ]
    );
    let Value::Map(config_doc) = &entries[1].1 else {
        panic!();
    };
    let Some((_, Value::Map(subs))) = config_doc
        .iter()
        .find(|(k, _)| *k == Value::BulkString(b"subcommands".to_vec()))
    else {
        panic!("no subcommands in {config_doc:?}");
    };
    assert!(
        subs.iter()
            .any(|(k, _)| *k == Value::BulkString(b"config|get".to_vec()))
    );

    let mut con = connect(server.addr);
    let connection_cmds = strings(
        &query(
            &mut con,
            &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"],
        )
        .unwrap(),
    );
    assert!(connection_cmds.contains(&"ping".to_string()));
    assert!(connection_cmds.contains(&"client|id".to_string()));
    assert!(
        strings(&query(&mut con, &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]).unwrap())
            .is_empty()
    );
    assert_eq!(
        strings(
            &query(
                &mut con,
                &["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|get"]
            )
            .unwrap()
        ),
        ["config|get"]
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "LIST", "FILTERBY", "foo", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "LIST", "foo"]),
        "ERR syntax error"
    );

    assert_eq!(
        strings(
            &query(
                &mut con,
                &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"]
            )
            .unwrap()
        ),
        ["a", "b"]
    );
    assert_eq!(
        strings(
            &query(
                &mut con,
                &["COMMAND", "GETKEYS", "set", "k", "v", "EX", "1"]
            )
            .unwrap()
        ),
        ["k"]
    );
    assert_eq!(
        query(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "get", "k"]).unwrap(),
        Value::Array(vec![Value::Array(vec![
            Value::BulkString(b"k".to_vec()),
            Value::Array(vec![
                Value::SimpleString("RO".into()),
                Value::SimpleString("access".into())
            ]),
        ])])
    );
    let flags_of = |con: &mut Connection, args: &[&str]| match query(con, args).unwrap() {
        Value::Array(keys) => match &keys[0] {
            Value::Array(pair) => strings(&pair[1]),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    // SET's key flags depend on GET, as in Redis.
    assert_eq!(
        flags_of(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]),
        ["OW", "update"]
    );
    assert_eq!(
        flags_of(
            &mut con,
            &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"]
        ),
        ["RW", "access", "update"]
    );
    assert_eq!(
        flags_of(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "del", "k"]),
        ["RM", "delete"]
    );
    let dbsize = query(&mut con, &["COMMAND", "INFO", "dbsize"]).unwrap();
    let Value::Array(entries) = dbsize else {
        panic!("{dbsize:?}");
    };
    let Value::Array(fields) = &entries[0] else {
        panic!();
    };
    assert_eq!(
        strings(&fields[7]),
        ["request_policy:all_shards", "response_policy:agg_sum"]
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "GETKEYS", "nosuch", "a"]),
        "ERR Invalid command specified"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "GETKEYS", "config", "nosuch"]),
        "ERR Invalid command specified"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "GETKEYS", "config", "get", "x"]),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "GETKEYS", "get", "a", "b"]),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "GETKEYS", "get"]),
        "ERR wrong number of arguments for 'command|getkeys' command"
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "nosuch"]),
        "ERR unknown subcommand 'nosuch'. Try COMMAND HELP."
    );
    assert_eq!(
        error(&mut con, &["COMMAND", "COUNT", "x"]),
        "ERR wrong number of arguments for 'command|count' command"
    );
    for container in ["COMMAND", "CLIENT", "CONFIG", "DEBUG", "FUNCTION", "SCRIPT"] {
        if container == "DEBUG" {
            continue; // disabled by default; checked in the DEBUG test
        }
        let lines = strings(&query(&mut con, &[container, "HELP"]).unwrap());
        assert_eq!(
            lines[0],
            format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("    Prints this help.")
        );
    }
    server.shutdown();
}

// ---- CLIENT ------------------------------------------------------------------------

#[test]
fn client_identity_and_list() {
    let server = start();
    let mut con = connect(server.addr);
    let id = int(&mut con, &["CLIENT", "ID"]);
    assert!(id > 0);
    assert_eq!(query(&mut con, &["CLIENT", "GETNAME"]).unwrap(), Value::Nil);
    assert_eq!(
        error(&mut con, &["CLIENT", "SETNAME", "a b"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    assert_eq!(text(&mut con, &["CLIENT", "SETNAME", "worker-1"]), "OK");
    assert_eq!(text(&mut con, &["CLIENT", "GETNAME"]), "worker-1");
    assert_eq!(
        text(&mut con, &["CLIENT", "SETINFO", "LIB-NAME", "mylib"]),
        "OK"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "SETINFO", "LIB-FOO", "x"]),
        "ERR Unrecognized option 'LIB-FOO'"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "nosuch"]),
        "ERR unknown subcommand 'nosuch'. Try CLIENT HELP."
    );

    let mut others: Vec<Connection> = (0..4).map(|_| connect(server.addr)).collect();
    let _ = text(&mut others[0], &["PING"]);
    let list = text(&mut con, &["CLIENT", "LIST"]);
    assert_eq!(list.lines().count(), 5, "{list}");
    assert!(list.ends_with('\n'));
    let mine = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .unwrap();
    let fields: Vec<&str> = mine
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert!(mine.contains(" name=worker-1 "));
    assert!(mine.contains(" cmd=client|list "));
    let ids: Vec<i64> = list
        .lines()
        .map(|l| l[3..l.find(' ').unwrap()].parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id: {ids:?}");

    let only_me = text(
        &mut con,
        &["CLIENT", "LIST", "ID", &id.to_string(), "999999"],
    );
    assert_eq!(only_me.lines().count(), 1);
    assert_eq!(text(&mut con, &["CLIENT", "LIST", "TYPE", "pubsub"]), "");
    assert_eq!(
        text(&mut con, &["CLIENT", "LIST", "TYPE", "normal"])
            .lines()
            .count(),
        5
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "LIST", "ID", "abc"]),
        "ERR Invalid client ID"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "LIST", "TYPE", "foo"]),
        "ERR Unknown client type 'foo'"
    );
    let info = text(&mut con, &["CLIENT", "INFO"]);
    assert!(info.starts_with(&format!("id={id} ")) && info.ends_with(" resp=2\n"));
    assert!(info.contains(" cmd=client|info "));
    assert_eq!(text(&mut con, &["CLIENT", "NO-EVICT", "on"]), "OK");
    assert!(text(&mut con, &["CLIENT", "INFO"]).contains(" flags=e "));
    assert_eq!(
        error(&mut con, &["CLIENT", "NO-EVICT", "x"]),
        "ERR syntax error"
    );
    assert_eq!(text(&mut con, &["CLIENT", "PAUSE", "10", "WRITE"]), "OK");
    assert_eq!(text(&mut con, &["CLIENT", "UNPAUSE"]), "OK");
    assert_eq!(
        error(&mut con, &["CLIENT", "PAUSE", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        error(&mut con, &["CLIENT", "PAUSE", "10", "SOME"]),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
    drop(others);
    server.shutdown();
}

#[test]
fn client_kill_reaches_every_thread() {
    let server = start();
    let mut admin = connect(server.addr);
    let admin_id = int(&mut admin, &["CLIENT", "ID"]);
    // Enough connections that the three threads' accept loops all get some.
    let mut victims: Vec<Raw> = (0..9).map(|_| Raw::connect(server.addr)).collect();
    let mut victim_ids = Vec::new();
    for v in victims.iter_mut() {
        v.send(&["CLIENT", "ID"]);
        let reply = String::from_utf8(v.read_all()).unwrap();
        victim_ids.push(
            reply
                .trim_start_matches(':')
                .trim_end()
                .parse::<i64>()
                .unwrap(),
        );
    }

    // One by id.
    let first = victim_ids[0].to_string();
    assert_eq!(int(&mut admin, &["CLIENT", "KILL", "ID", &first]), 1);
    assert!(victims[0].closed_within(Duration::from_secs(2)));
    assert_eq!(int(&mut admin, &["CLIENT", "KILL", "ID", &first]), 0);

    // One by address, old form.
    let list = text(
        &mut admin,
        &["CLIENT", "LIST", "ID", &victim_ids[1].to_string()],
    );
    let addr = list
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    assert_eq!(text(&mut admin, &["CLIENT", "KILL", &addr]), "OK");
    assert!(victims[1].closed_within(Duration::from_secs(2)));
    assert_eq!(
        error(&mut admin, &["CLIENT", "KILL", &addr]),
        "ERR No such client"
    );

    // The rest by type; SKIPME defaults to yes, so the admin connection survives.
    assert_eq!(int(&mut admin, &["CLIENT", "KILL", "TYPE", "normal"]), 7);
    for v in victims.iter_mut().skip(2) {
        assert!(v.closed_within(Duration::from_secs(2)));
    }
    assert_eq!(int(&mut admin, &["CLIENT", "ID"]), admin_id);
    let deadline = Instant::now() + Duration::from_secs(2);
    while text(&mut admin, &["CLIENT", "LIST"]).lines().count() != 1 {
        assert!(Instant::now() < deadline, "killed clients still listed");
        std::thread::sleep(Duration::from_millis(20));
    }

    assert_eq!(
        error(&mut admin, &["CLIENT", "KILL", "ID", "0"]),
        "ERR client-id should be greater than 0"
    );
    assert_eq!(
        error(&mut admin, &["CLIENT", "KILL", "USER", "bob"]),
        "ERR No such user 'bob'"
    );
    assert_eq!(
        error(&mut admin, &["CLIENT", "KILL", "ID", "1", "SKIPME"]),
        "ERR syntax error"
    );

    // Killing itself: the reply still arrives, then the connection closes.
    let mut me = Raw::connect(server.addr);
    me.send(&[
        "CLIENT",
        "KILL",
        "LADDR",
        &server.addr.to_string(),
        "SKIPME",
        "no",
    ]);
    let reply = String::from_utf8(me.read_all()).unwrap();
    assert_eq!(reply, ":2\r\n");
    assert!(me.closed_within(Duration::from_secs(2)));
    server.shutdown();
}

#[test]
fn client_reply_off_and_skip() {
    let server = start();
    let mut raw = Raw::connect(server.addr);
    raw.send(&["CLIENT", "REPLY", "SKIP"]);
    raw.send(&["PING"]);
    raw.send(&["ECHO", "seen"]);
    assert_eq!(raw.read_all(), b"$4\r\nseen\r\n");
    raw.send(&["CLIENT", "REPLY", "OFF"]);
    raw.send(&["SET", "silent", "1"]);
    raw.send(&["PING"]);
    assert_eq!(raw.read_all(), b"");
    let mut con = connect(server.addr);
    assert_eq!(text(&mut con, &["GET", "silent"]), "1");
    assert_eq!(
        error(&mut con, &["CLIENT", "REPLY", "MAYBE"]),
        "ERR syntax error"
    );
    server.shutdown();
}

/// Redis answers `CLIENT REPLY ON` with OK even when replies were off. The gate drops
/// the output of any command started while replies are off, so this waits for the gate
/// to honour a mode switched back on by the command itself.
#[test]
fn client_reply_on_answers_ok() {
    let server = start();
    let mut raw = Raw::connect(server.addr);
    raw.send(&["CLIENT", "REPLY", "OFF"]);
    raw.send(&["CLIENT", "REPLY", "ON"]);
    raw.send(&["PING"]);
    assert_eq!(raw.read_all(), b"+OK\r\n+PONG\r\n");
    server.shutdown();
}

// ---- DEBUG -------------------------------------------------------------------------

#[test]
fn debug_is_gated_by_enable_debug_command() {
    let not_allowed = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
    let server = start();
    let mut con = connect(server.addr);
    assert_eq!(error(&mut con, &["DEBUG", "SLEEP", "0"]), not_allowed);
    assert_eq!(
        error(&mut con, &["DEBUG"]),
        "ERR wrong number of arguments for 'debug' command"
    );
    server.shutdown();

    // `local` allows loopback peers, which is all a test can be.
    let server = start_with(&["--enable-debug-command", "local"]);
    let mut con = connect(server.addr);
    assert_eq!(text(&mut con, &["DEBUG", "SLEEP", "0"]), "OK");
    server.shutdown();
}

#[test]
fn debug_subcommands() {
    let server = start_with(&["--enable-debug-command", "yes"]);
    let mut con = connect(server.addr);
    let lines = strings(&query(&mut con, &["DEBUG", "HELP"]).unwrap());
    assert_eq!(lines.len(), 106);
    assert_eq!(
        error(&mut con, &["DEBUG", "nosuch"]),
        "ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP."
    );
    assert_eq!(
        error(&mut con, &["DEBUG", "object"]),
        "ERR unknown subcommand or wrong number of arguments for 'object'. Try DEBUG HELP."
    );
    assert_eq!(
        error(&mut con, &["DEBUG", "ERROR", "BOOM it failed"]),
        "BOOM it failed"
    );
    assert_eq!(
        text(&mut con, &["DEBUG", "LOG", "hello from the test"]),
        "OK"
    );

    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("hello")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("SET").arg("n").arg(12).query(&mut con).unwrap();
    let s = text(&mut con, &["DEBUG", "OBJECT", "s"]);
    assert!(s.starts_with("Value at:0x"), "{s}");
    assert!(
        s.contains(" refcount:1 encoding:embstr serializedlength:6 lru:"),
        "{s}"
    );
    assert!(s.ends_with(" lru_seconds_idle:0"), "{s}");
    let n = text(&mut con, &["DEBUG", "OBJECT", "n"]);
    assert!(
        n.contains(" refcount:2147483647 encoding:int serializedlength:2 "),
        "{n}"
    );
    assert_eq!(
        error(&mut con, &["DEBUG", "OBJECT", "nosuch"]),
        "ERR no such key"
    );

    // SLEEP blocks its own connection only.
    let addr = server.addr;
    let sleeper = std::thread::spawn(move || {
        let mut con = connect(addr);
        let started = Instant::now();
        assert_eq!(text(&mut con, &["DEBUG", "SLEEP", "0.5"]), "OK");
        started.elapsed()
    });
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(text(&mut con, &["PING"]), "PONG");
    }
    assert!(started.elapsed() < Duration::from_millis(300));
    assert!(sleeper.join().unwrap() >= Duration::from_millis(450));

    // With active expiry off, an expired key stays in the table until touched.
    assert_eq!(text(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "OK");
    let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
    for i in 0..30 {
        let _: () = redis::cmd("SET")
            .arg(format!("t{i}"))
            .arg(1)
            .arg("PX")
            .arg(20)
            .query(&mut con)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(int(&mut con, &["DBSIZE"]), 30);
    assert_eq!(text(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), "OK");
    let deadline = Instant::now() + Duration::from_secs(3);
    while int(&mut con, &["DBSIZE"]) != 0 {
        assert!(Instant::now() < deadline, "active expiry did not resume");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.shutdown();
}

// ---- SHUTDOWN, CONFIG, persistence and scripting placeholders -----------------------

#[test]
fn shutdown_validates_options() {
    let server = start();
    let mut con = connect(server.addr);
    for (args, expected) in [
        (&["SHUTDOWN", "ABORT"][..], "ERR No shutdown in progress."),
        (&["SHUTDOWN", "FOO"][..], "ERR syntax error"),
        (&["SHUTDOWN", "SAVE", "NOSAVE"][..], "ERR syntax error"),
        (&["SHUTDOWN", "ABORT", "NOW"][..], "ERR syntax error"),
    ] {
        assert_eq!(error(&mut con, args), expected, "{args:?}");
    }
    let mut raw = Raw::connect(server.addr);
    raw.send(&["SHUTDOWN", "NOSAVE", "NOW", "FORCE"]);
    assert!(raw.closed_within(Duration::from_secs(2)));
    assert!(
        server
            .state
            .shutdown
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    server.shutdown();
}

#[test]
fn config_persistence_and_scripting_placeholders() {
    let server = start();
    let mut con = connect(server.addr);
    assert_eq!(
        error(&mut con, &["CONFIG", "REWRITE"]),
        "ERR The server is running without a config file"
    );
    assert_eq!(
        error(&mut con, &["CONFIG", "HELP", "x"]),
        "ERR wrong number of arguments for 'config|help' command"
    );
    let started = server.state.started_unix_secs as i64;
    assert_eq!(int(&mut con, &["LASTSAVE"]), started);
    assert_eq!(error(&mut con, &["BGSAVE", "NOW"]), "ERR syntax error");
    assert_eq!(text(&mut con, &["FUNCTION", "FLUSH"]), "OK");
    assert_eq!(text(&mut con, &["FUNCTION", "FLUSH", "async"]), "OK");
    assert_eq!(
        error(&mut con, &["FUNCTION", "FLUSH", "x"]),
        "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
    );
    assert_eq!(
        error(&mut con, &["FUNCTION", "FLUSH", "sync", "x"]),
        "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."
    );
    assert_eq!(text(&mut con, &["SCRIPT", "FLUSH", "SYNC"]), "OK");
    assert_eq!(
        error(&mut con, &["SCRIPT", "FLUSH", "x"]),
        "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    );
    server.shutdown();
}

/// The length of the first complete RESP2/RESP3 frame of `buf` (None: incomplete),
/// for the types COMMAND INFO / DOCS use; no recursion.
fn resp3_frame_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    let mut pending = 1usize;
    while pending > 0 {
        pending -= 1;
        let end = pos + buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
        let head = buf[pos];
        let n: i64 = std::str::from_utf8(&buf[pos + 1..end])
            .ok()?
            .parse()
            .unwrap_or(0);
        pos = end + 2;
        match head {
            b'$' if n >= 0 => {
                pos += n as usize + 2;
                if pos > buf.len() {
                    return None;
                }
            }
            b'*' | b'~' | b'>' if n > 0 => pending += n as usize,
            b'%' if n > 0 => pending += 2 * n as usize,
            _ => {}
        }
    }
    Some(pos)
}

/// Sends one command and reads its whole reply, raw.
fn raw_command(stream: &mut (impl Read + Write), args: &[&str]) -> Vec<u8> {
    stream
        .write_all(&common::encode_command(args))
        .expect("sending");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        if let Some(len) = resp3_frame_len(&buf) {
            assert_eq!(len, buf.len(), "one reply expected");
            return buf;
        }
        let n = stream.read(&mut chunk).expect("reading");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// COMMAND INFO and COMMAND DOCS of every collection command (hash, list, set, sorted
/// set, SORT) are byte-identical to Redis's in RESP3, which the differential corpus
/// cannot compare (its RESP3 decoder holds no sets of maps); RESP2 is in
/// `tests/corpus/command_docs.txt`.
#[test]
fn collection_command_docs_match_redis_in_resp3() {
    use common::{RedisServer, ShoalServer};
    let redis = RedisServer::start();
    let shoal = ShoalServer::start(2, &[]);
    let mut r = redis.connect_unix();
    let mut s = TcpStream::connect(shoal.addr()).expect("connecting to shoal");
    raw_command(&mut r, &["HELLO", "3"]);
    raw_command(&mut s, &["HELLO", "3"]);
    let names: Vec<&str> = shoal::commands::all()
        .filter(|c| {
            ["hash", "list", "set", "sorted-set"].contains(&c.group)
                || c.name == "sort"
                || c.name == "sort_ro"
        })
        .map(|c| c.name)
        .collect();
    assert!(names.len() >= 89, "{}", names.len());
    for name in names {
        for sub in ["INFO", "DOCS"] {
            let want = raw_command(&mut r, &["COMMAND", sub, name]);
            let got = raw_command(&mut s, &["COMMAND", sub, name]);
            assert!(
                want == got,
                "COMMAND {sub} {name}\nredis: {}\nshoal: {}",
                common::escape(&want),
                common::escape(&got)
            );
        }
    }
}
