//! Tests of the config module as a whole: the table against Redis 7.0.15, CONFIG GET and
//! CONFIG SET behaviour, and startup loading. Every expected error text and value here
//! was taken from redis-server 7.0.15 (redis-cli, or its stderr at startup).

use super::table::{HIDDEN, IMMUTABLE, Kind, PARAMS, PROTECTED, SHOAL};
use super::{Config, value};

/// `CONFIG GET *` of redis-server 7.0.15 started with no arguments (`dir` left out: it is
/// the working directory), tab-separated.
const REDIS_DEFAULTS: &str = "acl-pubsub-default\tresetchannels\n\
aclfile\t\n\
acllog-max-len\t128\n\
active-defrag-cycle-max\t25\n\
active-defrag-cycle-min\t1\n\
active-defrag-ignore-bytes\t104857600\n\
active-defrag-max-scan-fields\t1000\n\
active-defrag-threshold-lower\t10\n\
active-defrag-threshold-upper\t100\n\
active-expire-effort\t1\n\
activedefrag\tno\n\
activerehashing\tyes\n\
always-show-logo\tno\n\
aof-disable-auto-gc\tno\n\
aof-load-truncated\tyes\n\
aof-rewrite-incremental-fsync\tyes\n\
aof-timestamp-enabled\tno\n\
aof-use-rdb-preamble\tyes\n\
aof_rewrite_cpulist\t\n\
appenddirname\tappendonlydir\n\
appendfilename\tappendonly.aof\n\
appendfsync\teverysec\n\
appendonly\tno\n\
auto-aof-rewrite-min-size\t67108864\n\
auto-aof-rewrite-percentage\t100\n\
bgsave_cpulist\t\n\
bind\t* -::*\n\
bind-source-addr\t\n\
bio_cpulist\t\n\
busy-reply-threshold\t5000\n\
client-output-buffer-limit\tnormal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\n\
client-query-buffer-limit\t1073741824\n\
cluster-allow-pubsubshard-when-down\tyes\n\
cluster-allow-reads-when-down\tno\n\
cluster-allow-replica-migration\tyes\n\
cluster-announce-bus-port\t0\n\
cluster-announce-hostname\t\n\
cluster-announce-ip\t\n\
cluster-announce-port\t0\n\
cluster-announce-tls-port\t0\n\
cluster-config-file\tnodes.conf\n\
cluster-enabled\tno\n\
cluster-link-sendbuf-limit\t0\n\
cluster-migration-barrier\t1\n\
cluster-node-timeout\t15000\n\
cluster-port\t0\n\
cluster-preferred-endpoint-type\tip\n\
cluster-replica-no-failover\tno\n\
cluster-replica-validity-factor\t10\n\
cluster-require-full-coverage\tyes\n\
cluster-slave-no-failover\tno\n\
cluster-slave-validity-factor\t10\n\
crash-log-enabled\tyes\n\
crash-memcheck-enabled\tyes\n\
daemonize\tno\n\
databases\t16\n\
dbfilename\tdump.rdb\n\
disable-thp\tyes\n\
dynamic-hz\tyes\n\
enable-debug-command\tno\n\
enable-module-command\tno\n\
enable-protected-configs\tno\n\
hash-max-listpack-entries\t512\n\
hash-max-listpack-value\t64\n\
hash-max-ziplist-entries\t512\n\
hash-max-ziplist-value\t64\n\
hll-sparse-max-bytes\t3000\n\
hz\t10\n\
ignore-warnings\t\n\
io-threads\t1\n\
io-threads-do-reads\tno\n\
jemalloc-bg-thread\tyes\n\
latency-monitor-threshold\t0\n\
latency-tracking\tyes\n\
latency-tracking-info-percentiles\t50 99 99.9\n\
lazyfree-lazy-eviction\tno\n\
lazyfree-lazy-expire\tno\n\
lazyfree-lazy-server-del\tno\n\
lazyfree-lazy-user-del\tno\n\
lazyfree-lazy-user-flush\tno\n\
lfu-decay-time\t1\n\
lfu-log-factor\t10\n\
list-compress-depth\t0\n\
list-max-listpack-size\t-2\n\
list-max-ziplist-size\t-2\n\
logfile\t\n\
loglevel\tnotice\n\
lua-time-limit\t5000\n\
masterauth\t\n\
masteruser\t\n\
maxclients\t10000\n\
maxmemory\t0\n\
maxmemory-clients\t0\n\
maxmemory-eviction-tenacity\t10\n\
maxmemory-policy\tnoeviction\n\
maxmemory-samples\t5\n\
min-replicas-max-lag\t10\n\
min-replicas-to-write\t0\n\
min-slaves-max-lag\t10\n\
min-slaves-to-write\t0\n\
no-appendfsync-on-rewrite\tno\n\
notify-keyspace-events\t\n\
oom-score-adj\tno\n\
oom-score-adj-values\t0 200 800\n\
pidfile\t\n\
port\t6379\n\
proc-title-template\t{title} {listen-addr} {server-mode}\n\
propagation-error-behavior\tignore\n\
protected-mode\tyes\n\
proto-max-bulk-len\t536870912\n\
rdb-del-sync-files\tno\n\
rdb-save-incremental-fsync\tyes\n\
rdbchecksum\tyes\n\
rdbcompression\tyes\n\
repl-backlog-size\t1048576\n\
repl-backlog-ttl\t3600\n\
repl-disable-tcp-nodelay\tno\n\
repl-diskless-load\tdisabled\n\
repl-diskless-sync\tyes\n\
repl-diskless-sync-delay\t5\n\
repl-diskless-sync-max-replicas\t0\n\
repl-ping-replica-period\t10\n\
repl-ping-slave-period\t10\n\
repl-timeout\t60\n\
replica-announce-ip\t\n\
replica-announce-port\t0\n\
replica-announced\tyes\n\
replica-ignore-disk-write-errors\tno\n\
replica-ignore-maxmemory\tyes\n\
replica-lazy-flush\tno\n\
replica-priority\t100\n\
replica-read-only\tyes\n\
replica-serve-stale-data\tyes\n\
replicaof\t\n\
requirepass\t\n\
sanitize-dump-payload\tno\n\
save\t3600 1 300 100 60 10000\n\
server_cpulist\t\n\
set-max-intset-entries\t512\n\
set-proc-title\tyes\n\
shutdown-on-sigint\tdefault\n\
shutdown-on-sigterm\tdefault\n\
shutdown-timeout\t10\n\
slave-announce-ip\t\n\
slave-announce-port\t0\n\
slave-ignore-maxmemory\tyes\n\
slave-lazy-flush\tno\n\
slave-priority\t100\n\
slave-read-only\tyes\n\
slave-serve-stale-data\tyes\n\
slaveof\t\n\
slowlog-log-slower-than\t10000\n\
slowlog-max-len\t128\n\
socket-mark-id\t0\n\
stop-writes-on-bgsave-error\tyes\n\
stream-node-max-bytes\t4096\n\
stream-node-max-entries\t100\n\
supervised\tno\n\
syslog-enabled\tno\n\
syslog-facility\tlocal0\n\
syslog-ident\tredis\n\
tcp-backlog\t511\n\
tcp-keepalive\t300\n\
timeout\t0\n\
tls-auth-clients\tyes\n\
tls-ca-cert-dir\t\n\
tls-ca-cert-file\t\n\
tls-cert-file\t\n\
tls-ciphers\t\n\
tls-ciphersuites\t\n\
tls-client-cert-file\t\n\
tls-client-key-file\t\n\
tls-client-key-file-pass\t\n\
tls-cluster\tno\n\
tls-dh-params-file\t\n\
tls-key-file\t\n\
tls-key-file-pass\t\n\
tls-port\t0\n\
tls-prefer-server-ciphers\tno\n\
tls-protocols\t\n\
tls-replication\tno\n\
tls-session-cache-size\t20480\n\
tls-session-cache-timeout\t300\n\
tls-session-caching\tyes\n\
tracking-table-max-keys\t1000000\n\
unixsocket\t\n\
unixsocketperm\t0\n\
zset-max-listpack-entries\t128\n\
zset-max-listpack-value\t64\n\
zset-max-ziplist-entries\t128\n\
zset-max-ziplist-value\t64\n\
";

/// Parameters Redis 7.0.15 hides from CONFIG GET patterns.
const REDIS_HIDDEN: &[&str] = &[
    "key-load-delay",
    "loading-process-events-interval-bytes",
    "rdb-key-save-delay",
    "use-exit-on-panic",
    "watchdog-period",
];

/// Parameters CONFIG SET refuses in Redis 7.0.15 ("can't set immutable config").
const REDIS_IMMUTABLE: &[&str] = &[
    "aclfile",
    "always-show-logo",
    "aof_rewrite_cpulist",
    "appenddirname",
    "appendfilename",
    "bgsave_cpulist",
    "bio_cpulist",
    "cluster-config-file",
    "cluster-enabled",
    "cluster-port",
    "daemonize",
    "databases",
    "disable-thp",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "io-threads",
    "io-threads-do-reads",
    "logfile",
    "pidfile",
    "rdbchecksum",
    "replicaof",
    "server_cpulist",
    "set-proc-title",
    "slaveof",
    "socket-mark-id",
    "supervised",
    "syslog-enabled",
    "syslog-facility",
    "syslog-ident",
    "tcp-backlog",
    "unixsocket",
    "unixsocketperm",
];

fn names_and_aliases() -> Vec<&'static str> {
    PARAMS
        .iter()
        .flat_map(|p| std::iter::once(p.name).chain(p.alias))
        .collect()
}

// ---- the table -----------------------------------------------------------------------

#[test]
fn table_is_sorted_and_names_are_unique_lowercase() {
    for pair in PARAMS.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} before {}",
            pair[0].name,
            pair[1].name
        );
    }
    let mut all = names_and_aliases();
    for name in &all {
        assert_eq!(name.to_ascii_lowercase(), *name);
    }
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a name or alias appears twice");
}

#[test]
fn defaults_are_canonical_values_of_their_type() {
    for p in PARAMS {
        if matches!(p.kind, Kind::Dir) {
            continue;
        }
        // `replicaof` has no "unset" syntax but `no one`.
        let text = match p.kind {
            Kind::ReplicaOf => "no one",
            _ => p.default,
        };
        let args = value::split_set_value(&p.kind, text.as_bytes());
        let parsed = value::parse(&p.kind, &args, p.default.as_bytes())
            .unwrap_or_else(|e| panic!("{}: default {:?}: {e}", p.name, p.default));
        assert_eq!(parsed, p.default.as_bytes(), "{}", p.name);
    }
}

/// shoal's own parameters, which Redis does not have.
const SHOAL_ONLY: &[&str] = &["threads", "pin-threads"];

#[test]
fn table_matches_redis_names_and_defaults() {
    let mut shoal: Vec<(String, String)> = Config::default()
        .get(&[b"*"])
        .into_iter()
        .filter(|(name, _)| name != "dir" && !SHOAL_ONLY.contains(&name.as_str()))
        .collect();
    shoal.sort();
    let mut redis: Vec<(String, String)> = REDIS_DEFAULTS
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap_or((line, ""));
            let value = if name == "bind" { "127.0.0.1" } else { value };
            (name.to_string(), value.to_string())
        })
        .collect();
    redis.sort();
    assert_eq!(shoal, redis);
}

#[test]
fn table_flags_match_redis() {
    let config = Config::default();
    for name in REDIS_HIDDEN {
        let entry = Config::lookup(name.as_bytes()).unwrap();
        assert!(entry.param.has(HIDDEN), "{name}");
        assert_eq!(config.get(&[name.as_bytes()]).len(), 1);
    }
    let hidden = PARAMS.iter().filter(|p| p.has(HIDDEN)).count();
    assert_eq!(hidden, REDIS_HIDDEN.len());
    let mut immutable: Vec<&str> = PARAMS
        .iter()
        .filter(|p| p.has(IMMUTABLE) && !SHOAL_ONLY.contains(&p.name))
        .flat_map(|p| std::iter::once(p.name).chain(p.alias))
        .collect();
    immutable.sort_unstable();
    assert_eq!(immutable, REDIS_IMMUTABLE);
    let protected: Vec<&str> = PARAMS
        .iter()
        .filter(|p| p.has(PROTECTED))
        .map(|p| p.name)
        .collect();
    assert_eq!(protected, ["dbfilename", "dir"]);
}

#[test]
fn implemented_parameters_are_the_settings_ones() {
    let implemented: Vec<&str> = PARAMS
        .iter()
        .filter(|p| p.has(SHOAL))
        .map(|p| p.name)
        .collect();
    assert_eq!(implemented.len(), 51);
    assert!(implemented.contains(&"threads"));
}

// ---- CONFIG GET ----------------------------------------------------------------------

fn get(config: &Config, patterns: &[&str]) -> Vec<(String, String)> {
    let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
    config.get(&patterns)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn get_exact_names_keep_the_spelling_asked() {
    let config = Config::default();
    assert_eq!(get(&config, &["PORT"]), pairs(&[("PORT", "6379")]));
    assert_eq!(get(&config, &["PORT", "port"]), pairs(&[("PORT", "6379")]));
    assert_eq!(get(&config, &["slaveof"]), pairs(&[("slaveof", "")]));
    assert_eq!(
        get(&config, &["SLAVEOF", "replicaof"]),
        pairs(&[("SLAVEOF", ""), ("replicaof", "")])
    );
    assert_eq!(get(&config, &["nonexistent"]), pairs(&[]));
    assert_eq!(get(&config, &["\\port"]), pairs(&[]));
    assert_eq!(
        get(&config, &["rdb-key-save-delay"]),
        pairs(&[("rdb-key-save-delay", "0")])
    );
}

#[test]
fn get_patterns_match_names_and_aliases_once() {
    let config = Config::default();
    assert_eq!(get(&config, &["p?rt"]), pairs(&[("port", "6379")]));
    assert_eq!(get(&config, &["[p]ort"]), pairs(&[("port", "6379")]));
    let mut ports: Vec<String> = get(&config, &["PORT", "*ORT"])
        .into_iter()
        .map(|p| p.0)
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [
            "PORT",
            "active-expire-effort",
            "cluster-announce-bus-port",
            "cluster-announce-port",
            "cluster-announce-tls-port",
            "cluster-port",
            "replica-announce-port",
            "slave-announce-port",
            "tls-port",
        ]
    );
    let ziplist = get(&config, &["*ziplist*"]);
    assert_eq!(ziplist.len(), 5);
    assert!(ziplist.contains(&("hash-max-ziplist-entries".into(), "512".into())));
    assert!(get(&config, &["*key-save*"]).is_empty());
    assert_eq!(get(&config, &["*"]).len(), 192 + SHOAL_ONLY.len());
    assert_eq!(get(&config, &["*", "*"]).len(), 192 + SHOAL_ONLY.len());
}

// ---- CONFIG SET ----------------------------------------------------------------------

fn set(config: &mut Config, args: &[&str]) -> Result<(), String> {
    let pairs: Vec<(&[u8], &[u8])> = args
        .chunks(2)
        .map(|c| (c[0].as_bytes(), c[1].as_bytes()))
        .collect();
    config.set(&pairs)
}

fn value_of(config: &Config, name: &str) -> String {
    String::from_utf8_lossy(config.value(name).unwrap()).into_owned()
}

fn failed(name: &str, tail: &str) -> Result<(), String> {
    Err(format!(
        "ERR CONFIG SET failed (possibly related to argument '{name}') - {tail}"
    ))
}

#[test]
fn set_errors_match_redis() {
    let mut c = Config::default();
    let int = "argument couldn't be parsed into an integer";
    let cases: &[(&[&str], Result<(), String>)] = &[
        (&["port", "abc"], failed("port", int)),
        (
            &["port", "70000"],
            failed("port", "argument must be between 0 and 65535 inclusive"),
        ),
        (
            &["port", "-1"],
            failed("port", "argument must be between 0 and 65535 inclusive"),
        ),
        (&["port", "01"], failed("port", int)),
        (&["port", "+1"], failed("port", int)),
        (&["port", " 1"], failed("port", int)),
        (&["PORT", "abc"], failed("port", int)),
        (
            &["protected-mode", "maybe"],
            failed("protected-mode", "argument must be 'yes' or 'no'"),
        ),
        (
            &["loglevel", "foo"],
            failed(
                "loglevel",
                "argument(s) must be one of the following: debug, verbose, notice, warning",
            ),
        ),
        (
            &["maxmemory-policy", "x"],
            failed(
                "maxmemory-policy",
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
            ),
        ),
        (
            &["maxmemory", "-1"],
            failed("maxmemory", "argument must be a memory value"),
        ),
        (
            &["maxmemory", "1.5gb"],
            failed("maxmemory", "argument must be a memory value"),
        ),
        (
            &["maxmemory", "-0"],
            failed("maxmemory", "argument must be a memory value"),
        ),
        (
            &["proto-max-bulk-len", "1000"],
            failed(
                "proto-max-bulk-len",
                "argument must be between 1048576 and 9223372036854775807 inclusive",
            ),
        ),
        (
            &["proto-max-bulk-len", "9223372036854775808"],
            failed(
                "proto-max-bulk-len",
                "argument must be between 1048576 and 9223372036854775807 inclusive",
            ),
        ),
        (
            &["maxclients", "-1"],
            failed(
                "maxclients",
                "argument must be between 1 and 4294967295 inclusive",
            ),
        ),
        (
            &["maxclients", "0"],
            failed(
                "maxclients",
                "argument must be between 1 and 4294967295 inclusive",
            ),
        ),
        (
            &["hash-max-listpack-entries", "-1"],
            failed(
                "hash-max-listpack-entries",
                "argument must be between 0 and 9223372036854775807 inclusive",
            ),
        ),
        (
            &["maxmemory-clients", "101%"],
            failed(
                "maxmemory-clients",
                "percentage argument must be less or equal to 100",
            ),
        ),
        (
            &["maxmemory-clients", "-5"],
            failed(
                "maxmemory-clients",
                "argument must be a memory or percent value",
            ),
        ),
        (
            &["maxmemory-clients", "00%"],
            failed(
                "maxmemory-clients",
                "argument must be a memory or percent value",
            ),
        ),
        (
            &["unixsocketperm", "777"],
            failed("unixsocketperm", "can't set immutable config"),
        ),
        (
            &["foo", "bar"],
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
        ),
        (
            &["daemonize", "no"],
            failed("daemonize", "can't set immutable config"),
        ),
        (
            &["port", "1", "port", "2"],
            failed("port", "duplicate parameter"),
        ),
        (
            &["replica-priority", "1", "replica-priority", "2"],
            failed("replica-priority", "duplicate parameter"),
        ),
        (
            &["foo", "1", "daemonize", "no"],
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
        ),
        (
            &["daemonize", "no", "foo", "1"],
            failed("daemonize", "can't set immutable config"),
        ),
        (
            &["port", "abc", "daemonize", "no"],
            failed("daemonize", "can't set immutable config"),
        ),
        (
            &["dir", "/nonexistent"],
            failed("dir", "can't set protected config"),
        ),
        (
            &["dbfilename", "x"],
            failed("dbfilename", "can't set protected config"),
        ),
        (&["save", "abc"], failed("save", "Invalid save parameters")),
        (
            &["save", "1 2 3"],
            failed("save", "Invalid save parameters"),
        ),
        (&["save", "0 1"], failed("save", "Invalid save parameters")),
        (&["save", "1 -1"], failed("save", "Invalid save parameters")),
        (
            &["save", "100 2 "],
            failed("save", "Invalid save parameters"),
        ),
        (
            &["client-output-buffer-limit", "foo 1 2 3"],
            failed(
                "client-output-buffer-limit",
                "Invalid client class specified in buffer limit configuration.",
            ),
        ),
        (
            &["client-output-buffer-limit", "master 1 1 1"],
            failed(
                "client-output-buffer-limit",
                "Invalid client class specified in buffer limit configuration.",
            ),
        ),
        (
            &["client-output-buffer-limit", "normal 1 2"],
            failed(
                "client-output-buffer-limit",
                "Wrong number of arguments in buffer limit configuration.",
            ),
        ),
        (
            &["client-output-buffer-limit", "normal 1 2 x"],
            failed(
                "client-output-buffer-limit",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            ),
        ),
        (
            &["client-output-buffer-limit", "normal 0 0 -1"],
            failed(
                "client-output-buffer-limit",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            ),
        ),
        (
            &["notify-keyspace-events", "Q"],
            failed(
                "notify-keyspace-events",
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            ),
        ),
        (
            &["replicaof", "a b"],
            failed("replicaof", "can't set immutable config"),
        ),
        (
            &["latency-tracking-info-percentiles", "101"],
            failed(
                "latency-tracking-info-percentiles",
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
            ),
        ),
        (
            &["latency-tracking-info-percentiles", "x"],
            failed(
                "latency-tracking-info-percentiles",
                "Invalid latency-tracking-info-percentiles parameters",
            ),
        ),
        (
            &["oom-score-adj-values", "1 2"],
            failed("oom-score-adj-values", "wrong number of arguments"),
        ),
        (
            &["oom-score-adj-values", "1  2 3"],
            failed("oom-score-adj-values", "wrong number of arguments"),
        ),
        (
            &["oom-score-adj-values", "1 2 3000"],
            failed(
                "oom-score-adj-values",
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
            ),
        ),
        (
            &["enable-debug-command", "yes"],
            failed("enable-debug-command", "can't set immutable config"),
        ),
        (
            &["active-expire-effort", "11"],
            failed(
                "active-expire-effort",
                "argument must be between 1 and 10 inclusive",
            ),
        ),
        (
            &["databases", "3"],
            failed("databases", "can't set immutable config"),
        ),
        (
            &["threads", "3"],
            failed("threads", "can't set immutable config"),
        ),
        (&["tcp-keepalive", "x"], failed("tcp-keepalive", int)),
        (
            &["propagation-error-behavior", "x"],
            failed(
                "propagation-error-behavior",
                "argument(s) must be one of the following: ignore, panic, panic-on-replicas",
            ),
        ),
        (
            &["shutdown-on-sigint", "nosave save"],
            failed(
                "shutdown-on-sigint",
                "shutdown options SAVE and NOSAVE can't be used simultaneously",
            ),
        ),
        (
            &["shutdown-on-sigint", ""],
            failed(
                "shutdown-on-sigint",
                "argument(s) must be one of the following: default, save, nosave, now, force",
            ),
        ),
        (
            &["socket-mark-id", "1"],
            failed("socket-mark-id", "can't set immutable config"),
        ),
        (
            &["watchdog-period", "-1"],
            failed(
                "watchdog-period",
                "argument must be between 0 and 2147483647 inclusive",
            ),
        ),
        (
            &["loading-process-events-interval-bytes", "1"],
            failed(
                "loading-process-events-interval-bytes",
                "argument must be between 1024 and 2147483647 inclusive",
            ),
        ),
        (
            &["list-max-listpack-size", "-2147483649"],
            failed(
                "list-max-listpack-size",
                "argument must be between -2147483648 and 2147483647 inclusive",
            ),
        ),
        (
            &["proc-title-template", "{title} {foo}"],
            failed(
                "proc-title-template",
                "template format is invalid or contains unknown variables",
            ),
        ),
        (
            &["cluster-announce-hostname", "a_b"],
            failed(
                "cluster-announce-hostname",
                "Hostnames may only contain alphanumeric characters, hyphens or dots",
            ),
        ),
        (&["SLAVE-PRIORITY", "x"], failed("slave-priority", int)),
    ];
    for (args, want) in cases {
        assert_eq!(&set(&mut c, args), want, "CONFIG SET {args:?}");
    }
    assert_eq!(
        c.get(&[b"*"]),
        Config::default().get(&[b"*"]),
        "failed sets changed nothing"
    );
}

#[test]
fn set_values_print_like_redis() {
    let mut c = Config::default();
    let cases: &[(&str, &str, &str)] = &[
        ("maxmemory", "", "0"),
        ("maxmemory", "kb", "0"),
        (
            "maxmemory",
            "99999999999999999999999",
            "18446744073709551615",
        ),
        ("maxmemory", "0099", "99"),
        ("maxmemory", "1k", "1000"),
        ("maxmemory", "1B", "1"),
        ("maxmemory", "1Kb", "1024"),
        ("maxmemory", "10GB", "10737418240"),
        ("maxmemory-clients", "10%", "10%"),
        ("maxmemory-clients", "0%", "0"),
        ("hz", "1000", "500"),
        ("hz", "0", "1"),
        ("save", "100 2 10 0", "100 2 10 0"),
        ("save", "", ""),
        ("save", "0100 2", "100 2"),
        (
            "client-output-buffer-limit",
            "pubsub 1kb 2m 3",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1024 2000000 3",
        ),
        (
            "client-output-buffer-limit",
            "slave 0 0 07",
            "normal 0 0 0 slave 0 0 7 pubsub 1024 2000000 3",
        ),
        (
            "client-output-buffer-limit",
            "",
            "normal 0 0 0 slave 0 0 7 pubsub 1024 2000000 3",
        ),
        (
            "client-output-buffer-limit",
            "NORMAL 0 0 4294967297",
            "normal 0 0 1 slave 0 0 7 pubsub 1024 2000000 3",
        ),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "", ""),
        (
            "latency-tracking-info-percentiles",
            "50.0 99.90 1e1",
            "50 99.9 10",
        ),
        ("latency-tracking-info-percentiles", "", ""),
        ("oom-score-adj-values", "-1 +2 03", "-1 2 3"),
        ("oom-score-adj", "relative", "yes"),
        ("bind", "127.0.0.1  ::1", "127.0.0.1  ::1"),
        ("bind", "", ""),
        ("protected-mode", "YES", "yes"),
        ("loglevel", "NOTICE", "notice"),
        ("shutdown-on-sigint", "save now", "save now"),
        ("shutdown-on-sigint", "force now", "now force"),
        ("shutdown-on-sigterm", "NOW", "now"),
        ("requirepass", "a b", "a b"),
        ("cluster-announce-hostname", "ab", "ab"),
        ("lua-time-limit", "10", "10"),
    ];
    for (name, value, want) in cases {
        set(&mut c, &[name, value]).unwrap_or_else(|e| panic!("{name} {value:?}: {e}"));
        assert_eq!(&value_of(&c, name), want, "CONFIG SET {name} {value:?}");
    }
    assert_eq!(value_of(&c, "busy-reply-threshold"), "10");
}

#[test]
fn set_is_all_or_nothing_and_aliases_are_separate_names() {
    let mut c = Config::default();
    assert!(set(&mut c, &["timeout", "5", "port", "abc"]).is_err());
    assert_eq!(value_of(&c, "timeout"), "0");
    set(&mut c, &["slave-priority", "1", "replica-priority", "2"]).unwrap();
    assert_eq!(value_of(&c, "slave-priority"), "2");
    set(
        &mut c,
        &["timeout", "5", "maxmemory", "1mb", "requirepass", "pw"],
    )
    .unwrap();
    let s = c.settings();
    assert_eq!(s.timeout_secs, 5);
    assert_eq!(s.maxmemory_bytes, 1 << 20);
    assert_eq!(s.requirepass.as_deref(), Some(&b"pw"[..]));
    set(&mut c, &["requirepass", ""]).unwrap();
    assert_eq!(c.settings().requirepass, None);
}

#[test]
fn protected_configs_follow_enable_protected_configs() {
    let dir = scratch_dir("protected");
    let dir_text = dir.to_string_lossy().into_owned();
    let (mut c, _) = load_args(&["--enable-protected-configs", "local"], "").unwrap();
    let pair: [(&[u8], &[u8]); 1] = [(b"dir", dir_text.as_bytes())];
    assert!(c.set_from(&pair, false).is_err());
    c.set_from(&pair, true).unwrap();
    assert_eq!(c.settings().dir, std::fs::canonicalize(&dir).unwrap());
    let (mut c, _) = load_args(&["--enable-protected-configs", "yes"], "").unwrap();
    assert_eq!(
        set(&mut c, &["dir", "/nonexistent/x"]),
        failed("dir", "No such file or directory")
    );
    assert_eq!(
        set(&mut c, &["dbfilename", "/x"]),
        failed("dbfilename", "dbfilename can't be a path, just a filename")
    );
    set(&mut c, &["dbfilename", "x.rdb"]).unwrap();
    assert_eq!(c.settings().dbfilename, "x.rdb");
}

// ---- startup -------------------------------------------------------------------------

#[path = "tests_load.rs"]
mod load_tests;
use load_tests::{load_args, scratch_dir};
