//! Startup loading tests: config files (quotes, includes, save lines), the command line,
//! and Redis's FATAL CONFIG FILE ERROR texts, each taken from redis-server 7.0.15.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::super::{Config, EnableMode, load};
use super::*;
/// A fresh directory under the system temp dir, removed when dropped.
pub(super) struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn scratch_dir(tag: &str) -> Scratch {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("shoal-config-{}-{tag}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

pub(super) fn load_args(args: &[&str], stdin: &str) -> Result<(Config, Vec<String>), String> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    load::from_args(&args, &mut Cursor::new(stdin.as_bytes().to_vec()))
}

fn fatal_at(line: usize, text: &str, message: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         Reading the configuration file, at line {line}\n>>> '{text}'\n{message}"
    )
}

const BAD: &str = "Bad directive or wrong number of arguments";

#[test]
fn startup_errors_match_redis() {
    let dir = scratch_dir("errors");
    let ok = write(&dir, "ok.conf", "port 0\nsave 100 1\n");
    let bad = write(&dir, "bad.conf", "port 0\n# comment\nfoo bar\n");
    let cases: &[(&[&str], String)] = &[
        (
            &["--nonexistent", "x"],
            fatal_at(2, "nonexistent \"x\"", BAD),
        ),
        (&[&bad], fatal_at(3, "foo bar", BAD)),
        (
            &[&ok, "--port", "abc"],
            fatal_at(
                4,
                "port \"abc\"",
                "argument couldn't be parsed into an integer",
            ),
        ),
        (
            &[&ok, "--port", "--unixsocket", "/x.sock"],
            fatal_at(
                4,
                "port \"--unixsocket\" \"/x.sock\"",
                "wrong number of arguments",
            ),
        ),
        (
            &["--port", "1", "2"],
            fatal_at(2, "port \"1\" \"2\"", "wrong number of arguments"),
        ),
        (
            &["--port", "0", "--hz", "-1"],
            fatal_at(
                3,
                "hz \"-1\"",
                "argument must be between 0 and 2147483647 inclusive",
            ),
        ),
        (
            &["--port", "1", "--port", "abc"],
            fatal_at(
                3,
                "port \"abc\"",
                "argument couldn't be parsed into an integer",
            ),
        ),
        (
            &["--socket-mark-id", "-1"],
            fatal_at(
                2,
                "socket-mark-id \"-1\"",
                "argument must be between 0 and 4294967295 inclusive",
            ),
        ),
        (
            &["--databases", "0"],
            fatal_at(
                2,
                "databases \"0\"",
                "argument must be between 1 and 2147483647 inclusive",
            ),
        ),
        (
            &["--unixsocketperm", "999"],
            fatal_at(
                2,
                "unixsocketperm \"999\"",
                "argument couldn't be parsed as an octal number",
            ),
        ),
        (
            &["--dir", "/nonexistent"],
            fatal_at(2, "dir \"/nonexistent\"", "No such file or directory"),
        ),
        (
            &["--dbfilename", "a/b"],
            fatal_at(
                2,
                "dbfilename \"a/b\"",
                "dbfilename can't be a path, just a filename",
            ),
        ),
        (
            &["--save", "0", "1"],
            fatal_at(2, "save \"0\" \"1\"", "Invalid save parameters"),
        ),
        (
            &["--notify-keyspace-events"],
            fatal_at(2, "notify-keyspace-events", "wrong number of arguments"),
        ),
        (
            &["--client-output-buffer-limit", "normal", "1"],
            fatal_at(
                2,
                "client-output-buffer-limit \"normal\" \"1\"",
                "Wrong number of arguments in buffer limit configuration.",
            ),
        ),
        (
            &["--list-max-ziplist-entries", "5", "6"],
            fatal_at(2, "list-max-ziplist-entries \"5\" \"6\"", BAD),
        ),
        (&["--include"], fatal_at(2, "include", BAD)),
        (
            &["--io-threads", "0"],
            fatal_at(
                2,
                "io-threads \"0\"",
                "argument must be between 1 and 128 inclusive",
            ),
        ),
        (
            &["--oom-score-adj-values", "1", "2"],
            fatal_at(
                2,
                "oom-score-adj-values \"1\" \"2\"",
                "wrong number of arguments",
            ),
        ),
        (
            &["--port", "0", "--foo.bar", "1"],
            "Module Configuration detected without loadmodule \
            directive or no ApplyConfig call: aborting"
                .into(),
        ),
        (
            &["--replicaof", "1.2.3.4", "5", "--cluster-enabled", "yes"],
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
             replicaof directive not allowed in cluster mode"
                .into(),
        ),
        (
            &["--logfile", "/nonexistent/x.log"],
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
             Can't open the log file: No such file or directory"
                .into(),
        ),
    ];
    let more: &[(&[&str], usize, &str, &str)] = &[
        (
            &["--unixsocketperm", "1000"],
            2,
            "unixsocketperm \"1000\"",
            "argument must be between 0 and 777 inclusive",
        ),
        (
            &["--maxmemory-clients", "9223372036854775808"],
            2,
            "maxmemory-clients \"9223372036854775808\"",
            "percentage argument must be less or equal to 100",
        ),
        (
            &["--replicaof", "h", "70000"],
            2,
            "replicaof \"h\" \"70000\"",
            "Invalid master port",
        ),
        (
            &["--latency-tracking-info-percentiles", "inf"],
            2,
            "latency-tracking-info-percentiles \"inf\"",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        (
            &["--latency-tracking-info-percentiles", "1e-400"],
            2,
            "latency-tracking-info-percentiles \"1e-400\"",
            "Invalid latency-tracking-info-percentiles parameters",
        ),
        (
            &[
                "--bind", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
                "o", "p", "q",
            ],
            2,
            "bind \"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" \"j\" \"k\" \
             \"l\" \"m\" \"n\" \"o\" \"p\" \"q\"",
            "Too many bind addresses specified.",
        ),
        (
            &[
                "--shutdown-on-sigterm",
                "save",
                "--port",
                "0",
                "--shutdown-on-sigterm",
            ],
            4,
            "shutdown-on-sigterm",
            "argument(s) must be one of the following: default, save, nosave, now, force",
        ),
        (
            &["--dir", "/etc/passwd"],
            2,
            "dir \"/etc/passwd\"",
            "Not a directory",
        ),
        (
            &["--appendfilename", ""],
            2,
            "appendfilename \"\"",
            "appendfilename can't be empty",
        ),
        (&["--aclfile"], 2, "aclfile", "wrong number of arguments"),
    ];
    for (args, line, text, message) in more {
        assert_eq!(
            load_args(args, "").err(),
            Some(fatal_at(*line, text, message)),
            "{args:?}"
        );
    }
    let (c, _) = load_args(&["--replicaof", "h", ""], "").unwrap();
    assert_eq!(value_of(&c, "slaveof"), "h 0");
    for (args, want) in cases {
        match load_args(args, "") {
            Ok(_) => panic!("{args:?} loaded"),
            Err(e) => assert_eq!(&e, want, "{args:?}"),
        }
    }
    let missing = dir.join("nofile.conf");
    assert_eq!(
        load_args(&[&missing.to_string_lossy()], "").err(),
        Some(format!(
            "Fatal error, can't open config file '{}': No such file or directory",
            missing.display()
        ))
    );
}

#[test]
fn startup_file_then_arguments() {
    let dir = scratch_dir("load");
    let file = write(
        &dir,
        "a.conf",
        "# shoal\n  PORT 7000\nsave 100 1\nsave 200 2\nhz 1000\n",
    );
    let (c, warnings) = load_args(&[&file, "--timeout", "9", "--save", "300", "3"], "").unwrap();
    assert_eq!(c.settings().port, 7000);
    assert_eq!(c.settings().timeout_secs, 9);
    assert_eq!(c.settings().hz, 500);
    assert_eq!(value_of(&c, "save"), "100 1 200 2 300 3");
    assert_eq!(c.config_file(), Some(&PathBuf::from(&file)));
    // `save` is implemented: no warning for it.
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        c.settings().save_rules,
        crate::config::parse_save_rules("100 1 200 2 300 3")
    );
    assert_eq!(c.settings().save_rules[2].changes, 3);
    let (c, _) = load_args(&[&file, "--save", ""], "").unwrap();
    assert_eq!(value_of(&c, "save"), "");
    let (c, _) = load_args(&[&file, "--save"], "").unwrap();
    assert_eq!(value_of(&c, "save"), "");
    let (c, _) = load_args(&["--save", "--port", "0"], "").unwrap();
    assert_eq!(value_of(&c, "save"), "");
    assert_eq!(c.settings().port, 0);
    let (c, _) = load_args(&["--requirepass", "--foo", "--port", "0"], "").unwrap();
    assert_eq!(c.settings().requirepass.as_deref(), Some(&b"--foo"[..]));
    assert_eq!(c.settings().port, 0);
}

#[test]
fn startup_stdin_and_typed_settings() {
    let (c, warnings) = load_args(
        &["-", "--maxmemory", "2mb"],
        "bind 0.0.0.0 ::\nenable-debug-command local\nthreads 4\nlist-max-ziplist-entries 5\n",
    )
    .unwrap();
    let s = c.settings();
    assert_eq!(s.bind, ["0.0.0.0", "::"]);
    assert_eq!(s.enable_debug_command, EnableMode::Local);
    assert_eq!(s.threads, 4);
    assert_eq!(s.maxmemory_bytes, 2 << 20);
    assert!(warnings.is_empty(), "{warnings:?}");
    let d = Config::default();
    assert_eq!(d.settings().bind, ["127.0.0.1"]);
    assert_eq!(d.settings().proto_max_bulk_len_bytes, 512 << 20);
    assert_eq!(d.settings().dir, std::env::current_dir().unwrap());
}

#[test]
fn startup_includes() {
    let dir = scratch_dir("include");
    let inner = write(&dir, "inner.conf", "save 5 5\nbar baz\n");
    let outer = write(&dir, "outer.conf", &format!("port 0\ninclude {inner}\n"));
    assert_eq!(
        load_args(&[&outer], "").err(),
        Some(fatal_at(2, "bar baz", BAD))
    );
    std::fs::create_dir_all(dir.join("d")).unwrap();
    write(&dir, "d/b.conf", "timeout 2\n");
    write(&dir, "d/a.conf", "timeout 1\nport 1\n");
    write(&dir, "d/.hidden.conf", "timeout 3\n");
    let globbed = write(
        &dir,
        "glob.conf",
        &format!("include {}/d/*.conf\n", dir.display()),
    );
    let (c, _) = load_args(&[&globbed], "").unwrap();
    assert_eq!((c.settings().timeout_secs, c.settings().port), (2, 1));
    let none = write(
        &dir,
        "none.conf",
        &format!("include {}/e/*.conf\n", dir.display()),
    );
    assert!(load_args(&[&none], "").is_ok());
    let missing = write(&dir, "missing.conf", "include /nonexistent/x.conf\n");
    assert_eq!(
        load_args(&[&missing], "").err(),
        Some(
            "Fatal error, can't open config file '/nonexistent/x.conf': No such file or directory"
                .into()
        )
    );
    let looping = write(&dir, "loop.conf", "");
    std::fs::write(&looping, format!("include {looping}\n")).unwrap();
    let err = load_args(&[&looping], "").unwrap_err();
    assert!(
        err.ends_with("include nesting is deeper than 16 levels"),
        "{err}"
    );
}

#[test]
fn startup_warns_once_per_unimplemented_directive() {
    let (_, warnings) = load_args(
        &[
            "--appendonly",
            "yes",
            "--appendonly",
            "no",
            "--rename-command",
            "GET",
            "X",
            "--port",
            "1",
        ],
        "",
    )
    .unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("'appendonly'"));
    assert!(warnings[1].contains("'rename-command'"));
}

#[test]
fn example_config_documents_every_implemented_directive() {
    let text = include_str!("../../config/shoal.conf");
    for p in PARAMS.iter().filter(|p| p.has(SHOAL)) {
        let active = format!("\n{} ", p.name);
        let commented = format!("\n# {} ", p.name);
        assert!(
            text.contains(&active) || text.contains(&commented),
            "{}",
            p.name
        );
    }
    let (config, warnings) = load_args(&["-"], text).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.get(&[b"*"]), Config::default().get(&[b"*"]));
}

#[test]
fn startup_save_lines_follow_redis() {
    let dir = scratch_dir("save");
    let child = write(&dir, "child.conf", "save 7 7\n");
    let cases = [
        (format!("include {child}\nsave 10 1\nsave 20 2\n"), "20 2"),
        ("save\nsave 20 2\n".to_string(), "20 2"),
        ("save 5 5\nsave\nsave 20 2\n".to_string(), "5 5 20 2"),
    ];
    for (text, want) in cases {
        let (c, _) = load_args(&["-"], &text).unwrap();
        assert_eq!(value_of(&c, "save"), want, "{text:?}");
    }
}

#[test]
fn pin_threads_auto_pins_only_when_a_core_has_no_shard() {
    use crate::config::PinThreads;
    // (shards, cores, does auto pin?)
    for (shards, cores, auto) in [(1, 2, true), (2, 2, false), (3, 2, false), (4, 8, true)] {
        assert_eq!(
            PinThreads::Auto.pins(shards, cores),
            auto,
            "{shards} on {cores}"
        );
        assert!(!PinThreads::No.pins(shards, cores));
        assert!(PinThreads::Yes.pins(shards, cores));
    }
    // No core ids known (core_affinity failed): nothing to pin to.
    assert!(!PinThreads::Yes.pins(2, 0));
    assert!(!PinThreads::Auto.pins(2, 0));

    let (c, _) = load_args(&[], "").unwrap();
    assert_eq!(c.settings().pin_threads, PinThreads::Auto);
    for (text, mode) in [
        ("yes", PinThreads::Yes),
        ("no", PinThreads::No),
        ("auto", PinThreads::Auto),
    ] {
        let (c, _) = load_args(&["--pin-threads", text], "").unwrap();
        assert_eq!(c.settings().pin_threads, mode, "{text}");
    }
    assert!(load_args(&["--pin-threads", "sometimes"], "").is_err());
}
