//! RDB persistence against a real redis-server, in both directions: Redis SAVEs and
//! shoal loads the file at startup; shoal SAVEs and redis-server loads it. Every type in
//! both of Redis's encodings (small and big collections), big values, TTLs and several
//! databases; contents are compared with a type-aware dump of both servers. Corrupt and
//! truncated files must stop shoal's startup with a clear error.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use redis::{Connection, Value};

mod common;

use common::client::{connect, info_field, start_server, text};
use common::{RedisServer, TempDir};

fn cmd(con: &mut Connection, args: &[Vec<u8>]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(std::str::from_utf8(&args[0]).unwrap());
    for a in &args[1..] {
        c.arg(&a[..]);
    }
    c.query(con)
}

fn run(con: &mut Connection, args: &[&str]) -> Value {
    let a: Vec<Vec<u8>> = args.iter().map(|s| s.as_bytes().to_vec()).collect();
    cmd(con, &a).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn bytes_list(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => b,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// A deterministic pseudo-random generator (tests must be reproducible).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

/// The same dataset on either server: every type in both encodings, in three databases.
fn populate(con: &mut Connection) {
    let mut rng = Lcg(7);
    for db in ["0", "3", "15"] {
        run(con, &["SELECT", db]);
        let p = format!("db{db}:");
        let k = |s: &str| format!("{p}{s}");
        run(con, &["SET", &k("int"), "123"]);
        run(con, &["SET", &k("neg"), "-70000"]);
        run(con, &["SET", &k("big-int"), "9223372036854775807"]);
        run(con, &["SET", &k("lead-zero"), "0042"]);
        run(con, &["SET", &k("short"), "hello"]);
        run(con, &["SET", &k("compressible"), &"abc".repeat(400)]);
        let random = rng.text(5000);
        run(con, &["SET", &k("random"), &random]);
        run(con, &["SET", &k("huge"), &"xyz".repeat(100_000)]);
        run(con, &["SET", &k("empty"), ""]);
        let a: Vec<Vec<u8>> = vec![
            b"SET".to_vec(),
            format!("{p}bin\0key").into_bytes(),
            vec![0, 1, 2, 255, 0],
        ];
        cmd(con, &a).unwrap();
        run(con, &["SET", &k("ttl"), "v", "PXAT", "4102444800123"]);
        run(
            con,
            &[
                "RPUSH",
                &k("list-small"),
                "a",
                "1",
                "-5",
                "300",
                "70000",
                "x",
            ],
        );
        for i in 0..1500 {
            run(
                con,
                &[
                    "RPUSH",
                    &k("list-big"),
                    &format!("element-{i}-{}", rng.text(20)),
                ],
            );
        }
        run(
            con,
            &[
                "RPUSH",
                &k("list-long"),
                &"L".repeat(20_000),
                "s",
                &"M".repeat(9000),
            ],
        );
        run(
            con,
            &[
                "SADD",
                &k("intset"),
                "1",
                "-2",
                "70000",
                "5000000000",
                "-9223372036854775808",
            ],
        );
        for i in 0..700 {
            run(con, &["SADD", &k("intset-big"), &(i * 7919).to_string()]);
            run(con, &["SADD", &k("set-big"), &format!("m{i}")]);
        }
        run(con, &["SADD", &k("set-small"), "a", "b", "c", "10"]);
        run(
            con,
            &[
                "ZADD",
                &k("zset-small"),
                "1",
                "a",
                "2.5",
                "b",
                "-inf",
                "c",
                "inf",
                "d",
                "0",
                "7",
            ],
        );
        for i in 0..300 {
            run(
                con,
                &[
                    "ZADD",
                    &k("zset-big"),
                    &format!("{}.{}", i, i % 7),
                    &format!("z{i}"),
                ],
            );
        }
        run(
            con,
            &["ZADD", &k("zset-long"), "1", &"Q".repeat(100), "1e300", "x"],
        );
        run(
            con,
            &["HSET", &k("hash-small"), "f1", "v1", "n", "12", "neg", "-3"],
        );
        for i in 0..600 {
            run(
                con,
                &[
                    "HSET",
                    &k("hash-big"),
                    &format!("f{i}"),
                    &format!("v{}", rng.next()),
                ],
            );
        }
        run(con, &["HSET", &k("hash-long"), "f", &"V".repeat(200)]);
        run(con, &["PEXPIREAT", &k("hash-big"), "4102444800999"]);
        run(con, &["PEXPIREAT", &k("list-small"), "4102444800001"]);
    }
    run(con, &["SELECT", "0"]);
}

/// `(db, key) -> type and contents`, sets and hashes sorted, with the deadline.
fn dump_all(con: &mut Connection) -> BTreeMap<(u32, Vec<u8>), String> {
    let mut out = BTreeMap::new();
    for db in 0..16u32 {
        run(con, &["SELECT", &db.to_string()]);
        for key in bytes_list(run(con, &["KEYS", "*"])) {
            let q = |con: &mut Connection, name: &str, extra: &[&str]| {
                let mut a = vec![name.as_bytes().to_vec(), key.clone()];
                a.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
                cmd(con, &a).unwrap()
            };
            let t = match q(con, "TYPE", &[]) {
                Value::SimpleString(s) => s,
                Value::Okay => "OK".into(),
                other => panic!("{other:?}"),
            };
            let body = match t.as_str() {
                "string" => format!("{:?}", q(con, "GET", &[])),
                "list" => format!("{:?}", q(con, "LRANGE", &["0", "-1"])),
                "zset" => format!("{:?}", q(con, "ZRANGE", &["0", "-1", "WITHSCORES"])),
                "set" => {
                    let mut m = bytes_list(q(con, "SMEMBERS", &[]));
                    m.sort();
                    format!("{m:?}")
                }
                "hash" => {
                    let flat = bytes_list(q(con, "HGETALL", &[]));
                    let mut pairs: Vec<_> = flat.chunks(2).map(|c| c.to_vec()).collect();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                other => panic!("unexpected type {other}"),
            };
            let ttl = format!("{:?}", q(con, "PEXPIRETIME", &[]));
            out.insert((db, key), format!("{t} {ttl} {body}"));
        }
    }
    run(con, &["SELECT", "0"]);
    out
}

fn redis_con(r: &RedisServer) -> Connection {
    redis::Client::open(format!("unix://{}", r.socket_path().display()))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn assert_same(a: &BTreeMap<(u32, Vec<u8>), String>, b: &BTreeMap<(u32, Vec<u8>), String>) {
    assert_eq!(a.len(), b.len(), "key counts differ");
    for (k, v) in a {
        assert_eq!(Some(v), b.get(k), "key {k:?}");
    }
}

#[test]
fn redis_file_loads_into_shoal() {
    let dir = TempDir::new("shoal-rdb-in");
    let d = dir.path().to_str().unwrap();
    let expected = {
        let redis = RedisServer::start_with(&["--dir", d, "--enable-debug-command", "yes"]);
        let mut con = redis_con(&redis);
        populate(&mut con);
        // Plain quicklist nodes (an element over the packed threshold).
        run(&mut con, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000"]);
        run(
            &mut con,
            &[
                "RPUSH",
                "plain-nodes",
                &"P".repeat(5000),
                "small",
                &"R".repeat(3000),
            ],
        );
        run(&mut con, &["SAVE"]);
        dump_all(&mut con)
    };
    for threads in [1, 4] {
        let server = start_server(threads, &["--dir", d]);
        let mut con = connect(server.addr);
        assert_same(&expected, &dump_all(&mut con));
        let info = text(&mut con, &["INFO", "persistence"]);
        assert_eq!(
            info_field(&info, "rdb_last_load_keys_loaded").unwrap(),
            expected.len().to_string()
        );
        assert_eq!(
            text(&mut con, &["OBJECT", "ENCODING", "db0:hash-small"]),
            "listpack"
        );
        assert_eq!(
            text(&mut con, &["OBJECT", "ENCODING", "db0:hash-big"]),
            "hashtable"
        );
        assert_eq!(
            text(&mut con, &["OBJECT", "ENCODING", "db0:intset"]),
            "intset"
        );
        assert_eq!(
            text(&mut con, &["OBJECT", "ENCODING", "db0:zset-big"]),
            "skiplist"
        );
        server.shutdown();
    }
}

#[test]
fn shoal_file_loads_into_redis() {
    let dir = TempDir::new("shoal-rdb-out");
    let d = dir.path().to_str().unwrap();
    for (threads, compression) in [(4, "yes"), (1, "no")] {
        let expected = {
            let server = start_server(threads, &["--dir", d, "--rdbcompression", compression]);
            let mut con = connect(server.addr);
            run(&mut con, &["FLUSHALL"]);
            populate(&mut con);
            let before: i64 = redis::cmd("LASTSAVE").query(&mut con).unwrap();
            assert_eq!(text(&mut con, &["SAVE"]), "OK");
            let after: i64 = redis::cmd("LASTSAVE").query(&mut con).unwrap();
            assert!(after >= before);
            let info = text(&mut con, &["INFO", "persistence"]);
            assert_eq!(info_field(&info, "rdb_saves").unwrap(), "1");
            assert_eq!(info_field(&info, "rdb_last_bgsave_status").unwrap(), "ok");
            let all = dump_all(&mut con);
            server.shutdown();
            all
        };
        let redis = RedisServer::start_with(&["--dir", d, "--dbfilename", "dump.rdb"]);
        let mut con = redis_con(&redis);
        assert_same(&expected, &dump_all(&mut con));
        // And back: shoal loads its own file as well.
        let server = start_server(2, &["--dir", d]);
        assert_same(&expected, &dump_all(&mut connect(server.addr)));
        server.shutdown();
    }
}

fn wait_bgsave(con: &mut Connection) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info = text(con, &["INFO", "persistence"]);
        if info_field(&info, "rdb_bgsave_in_progress").unwrap() == "0" {
            return info;
        }
        assert!(std::time::Instant::now() < deadline, "BGSAVE never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn bgsave_is_a_point_in_time_image_while_clients_write() {
    let dir = TempDir::new("shoal-rdb-bg");
    let d = dir.path().to_str().unwrap();
    let server = start_server(3, &["--dir", d]);
    let mut con = connect(server.addr);
    let keys = 40_000;
    set_keys(&mut con, keys);
    let mut pipe = redis::pipe();
    pipe.cmd("SELECT").arg(1).ignore();
    pipe.cmd("RPUSH").arg("db1-list").arg("a").arg("b").ignore();
    pipe.cmd("SELECT").arg(0).ignore();
    pipe.query::<()>(&mut con).unwrap();
    assert_eq!(text(&mut con, &["BGSAVE"]), "Background saving started");
    // Change everything while the cut is written out.
    let mut pipe = redis::pipe();
    pipe.cmd("SWAPDB").arg(0).arg(1).ignore();
    pipe.cmd("SELECT").arg(1).ignore();
    for i in (0..keys).step_by(2) {
        pipe.cmd("SET").arg(format!("k{i}")).arg("changed").ignore();
    }
    for i in (1..keys).step_by(4) {
        pipe.cmd("DEL").arg(format!("k{i}")).ignore();
    }
    pipe.cmd("SELECT").arg(0).ignore();
    pipe.cmd("FLUSHDB").ignore();
    pipe.query::<()>(&mut con).unwrap();
    let info = wait_bgsave(&mut con);
    assert_eq!(info_field(&info, "rdb_last_bgsave_status").unwrap(), "ok");
    assert_eq!(info_field(&info, "rdb_saves").unwrap(), "1");
    assert_ne!(info_field(&info, "rdb_last_bgsave_time_sec").unwrap(), "-1");
    assert!(
        redis::cmd("BGSAVE")
            .arg("NOW")
            .query::<Value>(&mut con)
            .is_err()
    );
    server.shutdown();
    let redis = RedisServer::start_with(&["--dir", d]);
    let mut rc = redis_con(&redis);
    assert_eq!(
        redis::cmd("DBSIZE").query::<i64>(&mut rc).unwrap(),
        keys as i64
    );
    for i in (0..keys).step_by(97) {
        assert_eq!(text(&mut rc, &["GET", &format!("k{i}")]), format!("v{i}"));
    }
    run(&mut rc, &["SELECT", "1"]);
    assert_eq!(
        bytes_list(run(&mut rc, &["LRANGE", "db1-list", "0", "-1"])),
        [b"a".to_vec(), b"b".to_vec()]
    );
}

/// Runs the binary on `dir`; it must exit with an error naming the problem.
fn startup_fails(dir: &Path, needle: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_shoal-server"))
        .args(["--port", "0", "--threads", "2", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "started on a bad file: {all}");
    assert!(all.contains(needle), "no {needle:?} in {all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn corrupt_and_truncated_files_stop_startup() {
    let dir = TempDir::new("shoal-rdb-bad");
    let d = dir.path().to_str().unwrap();
    {
        let redis = RedisServer::start_with(&["--dir", d]);
        let mut con = redis_con(&redis);
        populate(&mut con);
        run(&mut con, &["SAVE"]);
    }
    let path = dir.path().join("dump.rdb");
    let good = std::fs::read(&path).unwrap();
    // A flipped byte in the middle: the checksum catches it (or a decoder does).
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(&path, &flipped).unwrap();
    startup_fails(dir.path(), "Fatal error loading the DB");
    // Truncated at several points.
    for cut in [5, 20, good.len() / 3, good.len() - 3] {
        std::fs::write(&path, &good[..cut]).unwrap();
        startup_fails(dir.path(), "Fatal error loading the DB");
    }
    std::fs::write(&path, b"NOTREDIS0010\xff").unwrap();
    startup_fails(dir.path(), "Wrong signature");
    std::fs::write(&path, b"REDIS0099\xff").unwrap();
    startup_fails(dir.path(), "Can't handle RDB format version 99");
}

/// Copies every key of db 0 from `from` to `to` with DUMP and RESTORE (keeping TTLs).
fn copy_by_dump(from: &mut Connection, to: &mut Connection) {
    for key in bytes_list(run(from, &["KEYS", "*"])) {
        let payload = match cmd(from, &[b"DUMP".to_vec(), key.clone()]).unwrap() {
            Value::BulkString(b) => b,
            other => panic!("{other:?}"),
        };
        let deadline = match cmd(from, &[b"PEXPIRETIME".to_vec(), key.clone()]).unwrap() {
            Value::Int(n) if n > 0 => n,
            _ => 0,
        };
        let args = vec![
            b"RESTORE".to_vec(),
            key.clone(),
            deadline.to_string().into_bytes(),
            payload,
            b"ABSTTL".to_vec(),
        ];
        assert_eq!(cmd(to, &args).unwrap(), Value::Okay, "key {key:?}");
    }
}

#[test]
fn dump_payloads_cross_between_servers() {
    let redis = RedisServer::start_with(&["--enable-debug-command", "yes"]);
    let mut rc = redis_con(&redis);
    populate(&mut rc);
    run(&mut rc, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000"]);
    run(
        &mut rc,
        &["RPUSH", "plain-nodes", &"P".repeat(5000), "small"],
    );
    // Only db 0 is copied: keep the others out of the comparison.
    run(&mut rc, &["SELECT", "3"]);
    run(&mut rc, &["FLUSHDB"]);
    run(&mut rc, &["SELECT", "15"]);
    run(&mut rc, &["FLUSHDB"]);
    run(&mut rc, &["SELECT", "0"]);
    let expected = dump_all(&mut rc);
    let server = start_server(4, &[]);
    let mut sc = connect(server.addr);
    copy_by_dump(&mut rc, &mut sc);
    assert_same(&expected, &dump_all(&mut sc));
    // And back into an empty redis.
    run(&mut rc, &["FLUSHALL"]);
    copy_by_dump(&mut sc, &mut rc);
    assert_same(&expected, &dump_all(&mut rc));
    server.shutdown();
}

#[test]
fn debug_reload_saves_and_loads_back() {
    let dir = TempDir::new("shoal-rdb-reload");
    let d = dir.path().to_str().unwrap();
    let server = start_server(3, &["--dir", d, "--enable-debug-command", "yes"]);
    let mut con = connect(server.addr);
    assert_eq!(
        common::client::error(&mut con, &["DEBUG", "RELOAD", "NOSAVE"]),
        "ERR Error trying to load the RDB dump"
    );
    assert_eq!(
        common::client::error(&mut con, &["DEBUG", "RELOAD", "BOGUS"]),
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    );
    populate(&mut con);
    let before = dump_all(&mut con);
    assert_eq!(text(&mut con, &["DEBUG", "RELOAD"]), "OK");
    assert_same(&before, &dump_all(&mut con));
    // NOSAVE reloads the file as it was: later writes are gone.
    run(&mut con, &["SET", "later", "1"]);
    assert_eq!(text(&mut con, &["DEBUG", "RELOAD", "NOSAVE"]), "OK");
    assert_same(&before, &dump_all(&mut con));
    // NOFLUSH MERGE keeps keys the file does not have.
    run(&mut con, &["SET", "later", "1"]);
    assert_eq!(
        text(&mut con, &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        "OK"
    );
    assert_eq!(text(&mut con, &["GET", "later"]), "1");
    server.shutdown();
}

#[test]
fn keys_expired_in_the_file_are_not_loaded() {
    let dir = TempDir::new("shoal-rdb-expired");
    let d = dir.path().to_str().unwrap();
    {
        let redis = RedisServer::start_with(&["--dir", d]);
        let mut con = redis_con(&redis);
        run(&mut con, &["SET", "soon", "v", "PX", "300"]);
        run(&mut con, &["SET", "later", "v", "EX", "1000"]);
        run(&mut con, &["SET", "never", "v"]);
        run(&mut con, &["SAVE"]);
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    let server = start_server(2, &["--dir", d]);
    let mut con = connect(server.addr);
    let info = text(&mut con, &["INFO", "persistence"]);
    assert_eq!(info_field(&info, "rdb_last_load_keys_loaded").unwrap(), "2");
    assert_eq!(
        info_field(&info, "rdb_last_load_keys_expired").unwrap(),
        "1"
    );
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut con).unwrap(), 2);
    let ttl: i64 = redis::cmd("TTL").arg("later").query(&mut con).unwrap();
    assert!((990..=1000).contains(&ttl), "{ttl}");
    server.shutdown();
}

/// SHUTDOWN saves when save points are configured (Redis's default) or with SAVE, and
/// not with NOSAVE; the next start loads what it saved.
#[test]
fn shutdown_saves_unless_nosave() {
    let dir = common::TempDir::new("shoal-shutdown");
    let dir_arg = dir.path().display().to_string();
    let rdb = dir.path().join("dump.rdb");
    for (args, saved) in [
        (&["SHUTDOWN", "NOSAVE"][..], false),
        (&["SHUTDOWN"][..], true),
        (&["SHUTDOWN", "SAVE"][..], true),
    ] {
        let _ = std::fs::remove_file(&rdb);
        let server = common::client::start_server(2, &["--dir", &dir_arg]);
        let mut con = common::client::connect(server.addr);
        let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
        let _ = common::client::query(&mut con, args);
        assert_eq!(rdb.exists(), saved, "{args:?}");
        drop(server);
    }
    let server = common::client::start_server(1, &["--dir", &dir_arg]);
    let mut con = common::client::connect(server.addr);
    assert_eq!(common::client::text(&mut con, &["GET", "k"]), "v");
}

/// Sets `n` keys `k{i}` to `v{i}` in one pipeline.
fn set_keys(con: &mut Connection, n: usize) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.cmd("SET")
            .arg(format!("k{i}"))
            .arg(format!("v{i}"))
            .ignore();
    }
    pipe.query::<()>(con).unwrap();
}

/// The files a save left in `dir` (no temp or spool file may stay behind).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// FLUSHDB while a BGSAVE (slowed by `rdb-key-save-delay`) runs: the file still holds
/// the keys at the cut, and keys written after the flush are not in it.
#[test]
fn flushdb_during_bgsave_leaves_the_cut_to_the_file() {
    let dir = TempDir::new("shoal-rdb-flushdb");
    let d = dir.path().to_str().unwrap();
    let server = start_server(3, &["--dir", d, "--rdb-key-save-delay", "200"]);
    let mut con = connect(server.addr);
    set_keys(&mut con, 3000);
    assert_eq!(text(&mut con, &["BGSAVE"]), "Background saving started");
    assert_eq!(text(&mut con, &["FLUSHDB"]), "OK");
    let info = text(&mut con, &["INFO", "persistence"]);
    assert_eq!(
        info_field(&info, "rdb_bgsave_in_progress").unwrap(),
        "1",
        "the save is slowed down enough to outlast the flush"
    );
    run(&mut con, &["SET", "late", "x"]);
    let info = wait_bgsave(&mut con);
    assert_eq!(info_field(&info, "rdb_last_bgsave_status").unwrap(), "ok");
    server.shutdown();
    assert_eq!(files_in(dir.path()), ["dump.rdb"]);
    let server = start_server(2, &["--dir", d]);
    let mut con = connect(server.addr);
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut con).unwrap(), 3000);
    assert_eq!(text(&mut con, &["GET", "k2999"]), "v2999");
    assert_eq!(run(&mut con, &["EXISTS", "late"]), Value::Int(0));
}

/// FLUSHALL abandons a running BGSAVE, as Redis kills its saving child: the save ends
/// at once without error status and without touching the file; with save rules set,
/// FLUSHALL then saves the empty dataset.
#[test]
fn flushall_abandons_a_running_bgsave() {
    for save_rules in [&[""][..], &["3600", "1"]] {
        let dir = TempDir::new("shoal-rdb-flushall");
        let d = dir.path().to_str().unwrap();
        // A second per key: the save would take hours.
        let mut args = vec!["--dir", d, "--rdb-key-save-delay", "1000000", "--save"];
        args.extend(save_rules);
        let server = start_server(3, &args);
        let mut con = connect(server.addr);
        set_keys(&mut con, 10);
        run(&mut con, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        assert_eq!(text(&mut con, &["SAVE"]), "OK");
        run(
            &mut con,
            &["CONFIG", "SET", "rdb-key-save-delay", "1000000"],
        );
        set_keys(&mut con, 3000);
        assert_eq!(text(&mut con, &["BGSAVE"]), "Background saving started");
        assert_eq!(text(&mut con, &["FLUSHALL"]), "OK");
        let info = wait_bgsave(&mut con);
        assert_eq!(info_field(&info, "rdb_last_bgsave_status").unwrap(), "ok");
        server.shutdown();
        assert_eq!(files_in(dir.path()), ["dump.rdb"], "save {save_rules:?}");
        let server = start_server(2, &["--dir", d]);
        let mut con = connect(server.addr);
        let want = if save_rules == [""] { 10 } else { 0 };
        assert_eq!(
            redis::cmd("DBSIZE").query::<i64>(&mut con).unwrap(),
            want,
            "save {save_rules:?}"
        );
    }
}

/// SHUTDOWN abandons a running BGSAVE (Redis kills its saving child) instead of waiting
/// for it: with NOSAVE no file is left, not even the save's temp file; with SAVE the
/// file holds the dataset at the shutdown.
#[test]
fn shutdown_abandons_a_running_bgsave() {
    for (how, saved) in [("NOSAVE", false), ("SAVE", true)] {
        let dir = TempDir::new("shoal-rdb-shutdown-bg");
        let d = dir.path().to_str().unwrap();
        let server = start_server(3, &["--dir", d, "--rdb-key-save-delay", "1000000"]);
        let mut con = connect(server.addr);
        set_keys(&mut con, 3000);
        assert_eq!(text(&mut con, &["BGSAVE"]), "Background saving started");
        run(&mut con, &["SET", "late", "x"]);
        let _ = common::client::query(&mut con, &["SHUTDOWN", how]);
        drop(server);
        let want: &[&str] = if saved { &["dump.rdb"] } else { &[] };
        assert_eq!(files_in(dir.path()), want, "SHUTDOWN {how}");
        if saved {
            let server = start_server(2, &["--dir", d]);
            let mut con = connect(server.addr);
            assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut con).unwrap(), 3001);
        }
    }
}
