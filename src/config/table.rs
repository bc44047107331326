//! The parameter table: every parameter Redis 7.0.15 knows (plus shoal's own `threads`),
//! as data. Each row gives the name, an optional alias, the value type with its bounds,
//! the default exactly as `CONFIG GET` prints it, and flags (immutable, protected,
//! hidden, implemented by shoal). Rows are sorted by name; the tests below check that,
//! that names and aliases are unique, and that every default is valid for its type.

/// How a parameter's value is parsed, checked and printed.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no`, case-insensitive.
    Bool,
    /// A number stored in a C integer type. `unsigned` marks the C types whose bounds
    /// Redis checks after reinterpreting the value as unsigned.
    Num(Num),
    /// Like `Num` (0..=INT_MAX), then clamped to 1..=500 as Redis does for `hz`.
    Hz,
    /// One name out of a list (case-insensitive); several names may share a value, and
    /// the first one with the current value is what `CONFIG GET` prints.
    Enum(&'static [(&'static str, u32)]),
    /// `shutdown-on-sig*`: one or more of `SHUTDOWN_FLAGS`, OR-ed together.
    ShutdownFlags,
    /// Free text with an optional check.
    Str(StrRule),
    /// `save <seconds> <changes> ...`.
    Save,
    /// `bind <addr> ...`.
    Bind,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <classes>`.
    NotifyKeyspaceEvents,
    /// `replicaof <host> <port>` or `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    Percentiles,
    /// `dir <path>`: must name an existing directory. Its default is the working
    /// directory at startup (the table's default text is empty).
    Dir,
}

impl Kind {
    /// Parameters that take several arguments (CONFIG SET splits its value on spaces).
    pub const fn multi_arg(&self) -> bool {
        matches!(
            self,
            Kind::ShutdownFlags
                | Kind::Save
                | Kind::Bind
                | Kind::ClientOutputBufferLimit
                | Kind::OomScoreAdjValues
                | Kind::ReplicaOf
                | Kind::Percentiles
        )
    }
}

/// A numeric parameter: bounds (inclusive) and how the text is written.
#[derive(Clone, Copy, Debug)]
pub struct Num {
    pub min: i128,
    pub max: i128,
    pub unsigned: bool,
    pub style: NumStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumStyle {
    /// Plain base-10 integer.
    Plain,
    /// Bytes, with optional unit (b, k, kb, m, mb, g, gb).
    Memory,
    /// Bytes, or a percentage `N%` (stored negated, as Redis does).
    MemoryOrPercent,
    /// Base 8.
    Octal,
}

/// Extra checks on text parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrRule {
    Any,
    /// Binary-safe text (Redis keeps it as an sds); the others stop at a NUL byte, as
    /// C strings do.
    Binary,
    DbFilename,
    AofFilename,
    AofDirname,
    Hostname,
    ProcTitleTemplate,
}

/// `CONFIG SET` refuses it: "can't set immutable config".
pub const IMMUTABLE: u8 = 1;
/// `CONFIG SET` needs `enable-protected-configs`: "can't set protected config".
pub const PROTECTED: u8 = 2;
/// Not matched by `CONFIG GET` patterns, only by its exact name.
pub const HIDDEN: u8 = 4;
/// shoal acts on the value; any other parameter is accepted and stored only.
pub const SHOAL: u8 = 8;

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub flags: u8,
}

impl Param {
    pub const fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const INT_MIN: i128 = i32::MIN as i128;
const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LLONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;
const MIB: i128 = 1024 * 1024;

const fn num(min: i128, max: i128, unsigned: bool, style: NumStyle) -> Kind {
    Kind::Num(Num {
        min,
        max,
        unsigned,
        style,
    })
}

/// Signed C integer (int, long, long long, ssize_t, time_t, off_t).
const fn int(min: i128, max: i128) -> Kind {
    num(min, max, false, NumStyle::Plain)
}

/// Unsigned C integer (unsigned int, size_t, unsigned long long).
const fn uint(min: i128, max: i128) -> Kind {
    num(min, max, true, NumStyle::Plain)
}

/// Signed byte count.
const fn mem(min: i128, max: i128) -> Kind {
    num(min, max, false, NumStyle::Memory)
}

/// Unsigned byte count.
const fn umem(min: i128, max: i128) -> Kind {
    num(min, max, true, NumStyle::Memory)
}

const fn p(name: &'static str, kind: Kind, default: &'static str, flags: u8) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        flags,
    }
}

const fn a(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
    flags: u8,
) -> Param {
    Param {
        name,
        alias: Some(alias),
        kind,
        default,
        flags,
    }
}

const BOOL: Kind = Kind::Bool;
const STR: Kind = Kind::Str(StrRule::Any);
const BINARY: Kind = Kind::Str(StrRule::Binary);
const M: u8 = 0;
const I: u8 = IMMUTABLE;

pub const LOGLEVELS: &[(&str, u32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
pub const MAXMEMORY_POLICIES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
pub const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const SYSLOG_FACILITIES: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const PIN_THREADS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("auto", 2)];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ENDPOINT_TYPE: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
/// SAVE and NOSAVE together are refused (see `value.rs`).
pub const SHUTDOWN_FLAGS: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Every parameter, sorted by name.
#[rustfmt::skip]
pub const PARAMS: &[Param] = &[
    p("acl-pubsub-default", Kind::Enum(ACL_PUBSUB_DEFAULT), "resetchannels", M),
    p("aclfile", STR, "", I),
    p("acllog-max-len", int(0, LLONG_MAX), "128", M),
    p("active-defrag-cycle-max", int(1, 99), "25", M | SHOAL),
    p("active-defrag-cycle-min", int(1, 99), "1", M | SHOAL),
    p("active-defrag-ignore-bytes", umem(1, LLONG_MAX), "104857600", M | SHOAL),
    p("active-defrag-max-scan-fields", int(1, LLONG_MAX), "1000", M),
    p("active-defrag-threshold-lower", int(0, 1000), "10", M | SHOAL),
    p("active-defrag-threshold-upper", int(0, 1000), "100", M | SHOAL),
    p("active-expire-effort", int(1, 10), "1", M | SHOAL),
    p("activedefrag", BOOL, "no", M | SHOAL),
    p("activerehashing", BOOL, "yes", M),
    p("always-show-logo", BOOL, "no", I),
    p("aof-disable-auto-gc", BOOL, "no", M),
    p("aof-load-truncated", BOOL, "yes", M),
    p("aof-rewrite-incremental-fsync", BOOL, "yes", M),
    p("aof-timestamp-enabled", BOOL, "no", M),
    p("aof-use-rdb-preamble", BOOL, "yes", M),
    p("aof_rewrite_cpulist", STR, "", I),
    p("appenddirname", Kind::Str(StrRule::AofDirname), "appendonlydir", I),
    p("appendfilename", Kind::Str(StrRule::AofFilename), "appendonly.aof", I),
    p("appendfsync", Kind::Enum(APPENDFSYNC), "everysec", M),
    p("appendonly", BOOL, "no", M),
    p("auto-aof-rewrite-min-size", mem(0, LLONG_MAX), "67108864", M),
    p("auto-aof-rewrite-percentage", int(0, INT_MAX), "100", M),
    p("bgsave_cpulist", STR, "", I),
    p("bind", Kind::Bind, "127.0.0.1", M | SHOAL),
    p("bind-source-addr", STR, "", M),
    p("bio_cpulist", STR, "", I),
    a("busy-reply-threshold", "lua-time-limit", int(0, LLONG_MAX), "5000", M),
    p("client-output-buffer-limit", Kind::ClientOutputBufferLimit,
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", M),
    p("client-query-buffer-limit", umem(MIB, LLONG_MAX), "1073741824", M | SHOAL),
    p("cluster-allow-pubsubshard-when-down", BOOL, "yes", M),
    p("cluster-allow-reads-when-down", BOOL, "no", M),
    p("cluster-allow-replica-migration", BOOL, "yes", M),
    p("cluster-announce-bus-port", int(0, 65535), "0", M),
    p("cluster-announce-hostname", Kind::Str(StrRule::Hostname), "", M),
    p("cluster-announce-ip", STR, "", M),
    p("cluster-announce-port", int(0, 65535), "0", M),
    p("cluster-announce-tls-port", int(0, 65535), "0", M),
    p("cluster-config-file", STR, "nodes.conf", I),
    p("cluster-enabled", BOOL, "no", I),
    p("cluster-link-sendbuf-limit", umem(0, ULLONG_MAX), "0", M),
    p("cluster-migration-barrier", int(0, INT_MAX), "1", M),
    p("cluster-node-timeout", int(0, LLONG_MAX), "15000", M),
    p("cluster-port", int(0, 65535), "0", I),
    p("cluster-preferred-endpoint-type", Kind::Enum(ENDPOINT_TYPE), "ip", M),
    a("cluster-replica-no-failover", "cluster-slave-no-failover", BOOL, "no", M),
    a("cluster-replica-validity-factor", "cluster-slave-validity-factor", int(0, INT_MAX), "10", M),
    p("cluster-require-full-coverage", BOOL, "yes", M),
    p("crash-log-enabled", BOOL, "yes", M),
    p("crash-memcheck-enabled", BOOL, "yes", M),
    p("daemonize", BOOL, "no", I),
    p("databases", int(1, INT_MAX), "16", I | SHOAL),
    p("dbfilename", Kind::Str(StrRule::DbFilename), "dump.rdb", M | PROTECTED | SHOAL),
    p("dir", Kind::Dir, "", M | PROTECTED | SHOAL),
    p("disable-thp", BOOL, "yes", I | SHOAL),
    p("dynamic-hz", BOOL, "yes", M),
    p("enable-debug-command", Kind::Enum(PROTECTED_ACTION), "no", I | SHOAL),
    p("enable-module-command", Kind::Enum(PROTECTED_ACTION), "no", I),
    p("enable-protected-configs", Kind::Enum(PROTECTED_ACTION), "no", I),
    a("hash-max-listpack-entries", "hash-max-ziplist-entries", uint(0, LLONG_MAX), "512", M | SHOAL),
    a("hash-max-listpack-value", "hash-max-ziplist-value", umem(0, LLONG_MAX), "64", M | SHOAL),
    p("hll-sparse-max-bytes", umem(0, LLONG_MAX), "3000", M),
    p("hz", Kind::Hz, "10", M | SHOAL),
    p("ignore-warnings", STR, "", M),
    p("io-threads", int(1, 128), "1", I),
    p("io-threads-do-reads", BOOL, "no", I),
    p("jemalloc-bg-thread", BOOL, "yes", M),
    p("key-load-delay", int(INT_MIN, INT_MAX), "0", M | HIDDEN | SHOAL),
    p("latency-monitor-threshold", int(0, LLONG_MAX), "0", M | SHOAL),
    p("latency-tracking", BOOL, "yes", M | SHOAL),
    p("latency-tracking-info-percentiles", Kind::Percentiles, "50 99 99.9", M | SHOAL),
    p("lazyfree-lazy-eviction", BOOL, "no", M),
    p("lazyfree-lazy-expire", BOOL, "no", M),
    p("lazyfree-lazy-server-del", BOOL, "no", M),
    p("lazyfree-lazy-user-del", BOOL, "no", M),
    p("lazyfree-lazy-user-flush", BOOL, "no", M | SHOAL),
    p("lfu-decay-time", int(0, INT_MAX), "1", M | SHOAL),
    p("lfu-log-factor", int(0, INT_MAX), "10", M | SHOAL),
    p("list-compress-depth", int(0, INT_MAX), "0", M),
    a("list-max-listpack-size", "list-max-ziplist-size", int(INT_MIN, INT_MAX), "-2", M | SHOAL),
    p("loading-process-events-interval-bytes", int(1024, INT_MAX), "2097152", M | HIDDEN),
    p("logfile", STR, "", I | SHOAL),
    p("loglevel", Kind::Enum(LOGLEVELS), "notice", M | SHOAL),
    p("masterauth", BINARY, "", M),
    p("masteruser", STR, "", M),
    p("maxclients", uint(1, UINT_MAX), "10000", M | SHOAL),
    p("maxmemory", umem(0, ULLONG_MAX), "0", M | SHOAL),
    p("maxmemory-clients", num(-100, LLONG_MAX, false, NumStyle::MemoryOrPercent), "0", M),
    p("maxmemory-eviction-tenacity", int(0, 100), "10", M | SHOAL),
    p("maxmemory-policy", Kind::Enum(MAXMEMORY_POLICIES), "noeviction", M | SHOAL),
    p("maxmemory-samples", int(1, INT_MAX), "5", M | SHOAL),
    a("min-replicas-max-lag", "min-slaves-max-lag", int(0, INT_MAX), "10", M),
    a("min-replicas-to-write", "min-slaves-to-write", int(0, INT_MAX), "0", M),
    p("no-appendfsync-on-rewrite", BOOL, "no", M),
    p("notify-keyspace-events", Kind::NotifyKeyspaceEvents, "", M),
    p("oom-score-adj", Kind::Enum(OOM_SCORE_ADJ), "no", M),
    p("oom-score-adj-values", Kind::OomScoreAdjValues, "0 200 800", M),
    p("pidfile", STR, "", I),
    p("pin-threads", Kind::Enum(PIN_THREADS), "auto", I | SHOAL),
    p("port", int(0, 65535), "6379", M | SHOAL),
    p("proc-title-template", Kind::Str(StrRule::ProcTitleTemplate),
      "{title} {listen-addr} {server-mode}", M),
    p("propagation-error-behavior", Kind::Enum(PROPAGATION_ERROR), "ignore", M),
    p("protected-mode", BOOL, "yes", M | SHOAL),
    p("proto-max-bulk-len", mem(MIB, LLONG_MAX), "536870912", M | SHOAL),
    p("rdb-del-sync-files", BOOL, "no", M),
    p("rdb-key-save-delay", int(INT_MIN, INT_MAX), "0", M | HIDDEN | SHOAL),
    p("rdb-save-incremental-fsync", BOOL, "yes", M),
    p("rdbchecksum", BOOL, "yes", I | SHOAL),
    p("rdbcompression", BOOL, "yes", M | SHOAL),
    p("repl-backlog-size", mem(1, LLONG_MAX), "1048576", M),
    p("repl-backlog-ttl", int(0, LLONG_MAX), "3600", M),
    p("repl-disable-tcp-nodelay", BOOL, "no", M),
    p("repl-diskless-load", Kind::Enum(DISKLESS_LOAD), "disabled", M),
    p("repl-diskless-sync", BOOL, "yes", M),
    p("repl-diskless-sync-delay", int(0, INT_MAX), "5", M),
    p("repl-diskless-sync-max-replicas", int(0, INT_MAX), "0", M),
    a("repl-ping-replica-period", "repl-ping-slave-period", int(1, INT_MAX), "10", M),
    p("repl-timeout", int(1, INT_MAX), "60", M),
    a("replica-announce-ip", "slave-announce-ip", STR, "", M),
    a("replica-announce-port", "slave-announce-port", int(0, 65535), "0", M),
    p("replica-announced", BOOL, "yes", M),
    p("replica-ignore-disk-write-errors", BOOL, "no", M),
    a("replica-ignore-maxmemory", "slave-ignore-maxmemory", BOOL, "yes", M),
    a("replica-lazy-flush", "slave-lazy-flush", BOOL, "no", M),
    a("replica-priority", "slave-priority", int(0, INT_MAX), "100", M),
    a("replica-read-only", "slave-read-only", BOOL, "yes", M),
    a("replica-serve-stale-data", "slave-serve-stale-data", BOOL, "yes", M),
    a("replicaof", "slaveof", Kind::ReplicaOf, "", I),
    p("requirepass", BINARY, "", M | SHOAL),
    p("sanitize-dump-payload", Kind::Enum(SANITIZE_DUMP), "no", M),
    p("save", Kind::Save, "3600 1 300 100 60 10000", M | SHOAL),
    p("server_cpulist", STR, "", I),
    p("set-max-intset-entries", uint(0, LLONG_MAX), "512", M | SHOAL),
    p("set-proc-title", BOOL, "yes", I),
    p("shutdown-on-sigint", Kind::ShutdownFlags, "default", M),
    p("shutdown-on-sigterm", Kind::ShutdownFlags, "default", M),
    p("shutdown-timeout", int(0, INT_MAX), "10", M),
    p("slowlog-log-slower-than", int(-1, LLONG_MAX), "10000", M | SHOAL),
    p("slowlog-max-len", int(0, LLONG_MAX), "128", M | SHOAL),
    p("socket-mark-id", uint(0, UINT_MAX), "0", I),
    p("stop-writes-on-bgsave-error", BOOL, "yes", M | SHOAL),
    p("stream-node-max-bytes", umem(0, LLONG_MAX), "4096", M),
    p("stream-node-max-entries", int(0, LLONG_MAX), "100", M),
    p("supervised", Kind::Enum(SUPERVISED), "no", I),
    p("syslog-enabled", BOOL, "no", I),
    p("syslog-facility", Kind::Enum(SYSLOG_FACILITIES), "local0", I),
    p("syslog-ident", STR, "redis", I),
    p("tcp-backlog", int(0, INT_MAX), "511", I | SHOAL),
    p("tcp-keepalive", int(0, INT_MAX), "300", M | SHOAL),
    p("threads", int(0, 1024), "0", I | SHOAL),
    p("timeout", int(0, INT_MAX), "0", M | SHOAL),
    p("tls-auth-clients", Kind::Enum(TLS_AUTH_CLIENTS), "yes", M),
    p("tls-ca-cert-dir", STR, "", M),
    p("tls-ca-cert-file", STR, "", M),
    p("tls-cert-file", STR, "", M),
    p("tls-ciphers", STR, "", M),
    p("tls-ciphersuites", STR, "", M),
    p("tls-client-cert-file", STR, "", M),
    p("tls-client-key-file", STR, "", M),
    p("tls-client-key-file-pass", STR, "", M),
    p("tls-cluster", BOOL, "no", M),
    p("tls-dh-params-file", STR, "", M),
    p("tls-key-file", STR, "", M),
    p("tls-key-file-pass", STR, "", M),
    p("tls-port", int(0, 65535), "0", M),
    p("tls-prefer-server-ciphers", BOOL, "no", M),
    p("tls-protocols", STR, "", M),
    p("tls-replication", BOOL, "no", M),
    p("tls-session-cache-size", int(0, INT_MAX), "20480", M),
    p("tls-session-cache-timeout", int(0, INT_MAX), "300", M),
    p("tls-session-caching", BOOL, "yes", M),
    p("tracking-table-max-keys", uint(0, LLONG_MAX), "1000000", M),
    p("unixsocket", STR, "", I),
    p("unixsocketperm", num(0, 0o777, true, NumStyle::Octal), "0", I),
    p("use-exit-on-panic", BOOL, "no", M | HIDDEN),
    p("watchdog-period", int(0, INT_MAX), "0", M | HIDDEN),
    a("zset-max-listpack-entries", "zset-max-ziplist-entries", uint(0, LLONG_MAX), "128", M | SHOAL),
    a("zset-max-listpack-value", "zset-max-ziplist-value", umem(0, LLONG_MAX), "64", M | SHOAL),
];

/// Directives Redis 7.0 reads from a config file that are not parameters, with their
/// argument counts (including the directive): accepted with a warning, as shoal does not
/// act on them.
pub const OTHER_DIRECTIVES: &[(&str, usize, usize)] = &[
    ("loadmodule", 2, usize::MAX),
    ("rename-command", 3, 3),
    ("user", 2, usize::MAX),
];

/// Directives Redis 7.0 silently ignores (deprecated), with their argument count
/// (including the directive itself).
pub const DEPRECATED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];
