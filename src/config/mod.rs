//! Configuration like redis-server's: a redis.conf-syntax file plus `--directive value`
//! flags at startup (`load`), and CONFIG GET / CONFIG SET at run time over every Redis
//! 7.0 parameter name (`table`), with Redis's value syntax and error texts (`value`).
//!
//! Every parameter's value is kept as the text CONFIG GET prints; the parameters shoal
//! acts on are also decoded into [`Settings`], rebuilt after each change. Parameters
//! Redis knows but shoal does not implement are accepted and stored (startup returns a
//! warning for each one used).

mod load;
mod table;
mod value;

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use table::{HIDDEN, IMMUTABLE, Kind, PARAMS, PROTECTED, Param};

use crate::util::glob::glob_match;

/// How DEBUG (and similar) commands are allowed: Redis's `enable-debug-command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnableMode {
    No,
    Yes,
    Local,
}

impl EnableMode {
    fn from_text(text: &[u8]) -> EnableMode {
        match text {
            b"yes" => EnableMode::Yes,
            b"local" => EnableMode::Local,
            _ => EnableMode::No,
        }
    }

    /// Is the action allowed for a client (`local`: connected over loopback or a unix
    /// socket)?
    pub fn allows(self, client_is_local: bool) -> bool {
        self == EnableMode::Yes || (self == EnableMode::Local && client_is_local)
    }
}

/// True when a process with `shards` executor threads may run on `cores` cores and so
/// has a core with no shard thread: `pin-threads auto` then pins, and the BGSAVE writer
/// may use that core at nice 19 rather than only idle time.
pub fn core_to_spare(shards: usize, cores: usize) -> bool {
    cores > shards
}

/// Whether executor threads are pinned to cores: shoal's `pin-threads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinThreads {
    No,
    Yes,
    /// Pin only when the shards leave at least one core without a shard thread.
    Auto,
}

impl PinThreads {
    fn from_text(text: &[u8]) -> PinThreads {
        match text {
            b"yes" => PinThreads::Yes,
            b"no" => PinThreads::No,
            _ => PinThreads::Auto,
        }
    }

    /// Are `shards` threads pinned on a machine whose process may use `cores` cores?
    ///
    /// `auto` pins only when some core has no shard thread. When every core has one, the
    /// clients on the same machine, the snapshot writer and the kernel's own threads must
    /// share a core with a shard, and a pinned shard cannot move to the core that is idle
    /// at that moment: with 2 threads on 2 cores and redis-benchmark beside them, pinned
    /// threads measured 0.57-0.64x Redis's -P 1 throughput and unpinned 0.78-0.89x
    /// (`scripts/bench --threads 2 --rounds 5`, with and without `--unpinned`).
    pub fn pins(self, shards: usize, cores: usize) -> bool {
        match self {
            PinThreads::No => false,
            PinThreads::Yes => cores > 0,
            PinThreads::Auto => core_to_spare(shards, cores),
        }
    }
}

/// Typed view of the parameters the server acts on. Rebuilt after every CONFIG SET and
/// copied to each thread, so hot paths read plain fields.
#[derive(Clone, Debug)]
pub struct Settings {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub timeout_secs: u64,
    pub tcp_keepalive_secs: u64,
    pub tcp_backlog: u32,
    pub maxclients: u64,
    pub hz: u32,
    pub loglevel: String,
    pub logfile: String,
    pub dir: PathBuf,
    pub dbfilename: String,
    pub enable_debug_command: EnableMode,
    /// shoal's own: executor threads (= shards); 0 means one per core.
    pub threads: usize,
    /// shoal's own: pin each executor thread to a core (see [`PinThreads::pins`]).
    pub pin_threads: PinThreads,
    pub proto_max_bulk_len_bytes: u64,
    pub client_query_buffer_limit_bytes: u64,
    pub maxmemory_bytes: u64,
    pub maxmemory_policy: String,
    pub active_expire_effort: u32,
    /// Where compact collection encodings convert (the `*-max-listpack-*` family).
    pub encodings: EncodingLimits,
    /// maxmemory-policy and the parameters of its sampling and LFU counters.
    pub eviction: Eviction,
    pub defrag: Defrag,
    /// `save <seconds> <changes>` rules: a background save starts when at least
    /// `changes` writes happened and more than `seconds` passed since the last save.
    pub save_rules: Vec<SaveRule>,
    pub stop_writes_on_bgsave_error: bool,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    /// Transparent huge pages off for the process (startup only).
    pub disable_thp: bool,
    /// SLOWLOG and the LATENCY monitor thresholds.
    pub monitor: MonitorLimits,
    /// `latency-tracking-info-percentiles`: the percentiles INFO latencystats shows.
    pub latency_percentiles: Vec<f64>,
}

/// What SLOWLOG and the LATENCY monitor record (`crate::commands::timing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorLimits {
    /// `slowlog-log-slower-than`: commands running at least this long are logged; -1
    /// logs nothing, 0 everything.
    pub slowlog_slower_than_us: i64,
    /// `slowlog-max-len`: entries kept (0 logs nothing).
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`: events at least this long are sampled; 0 is off.
    pub latency_threshold_ms: u64,
    /// `latency-tracking`: per-command latency histograms (INFO latencystats).
    pub latency_tracking: bool,
}

impl Default for MonitorLimits {
    fn default() -> Self {
        MonitorLimits {
            slowlog_slower_than_us: 10_000,
            slowlog_max_len: 128,
            latency_threshold_ms: 0,
            latency_tracking: true,
        }
    }
}

/// One `save` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveRule {
    pub seconds: u64,
    pub changes: u64,
}

/// Parses the normalized CONFIG GET text of `save` ("3600 1 300 100").
pub fn parse_save_rules(text: &str) -> Vec<SaveRule> {
    let numbers: Vec<u64> = text
        .split(' ')
        .filter_map(|n| n.parse::<i64>().ok())
        .map(|n| n.max(0) as u64)
        .collect();
    numbers
        .chunks_exact(2)
        .map(|p| SaveRule {
            seconds: p[0],
            changes: p[1],
        })
        .collect()
}

/// The eight `maxmemory-policy` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionPolicy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl EvictionPolicy {
    pub fn from_name(name: &str) -> EvictionPolicy {
        match name {
            "allkeys-lru" => EvictionPolicy::AllKeysLru,
            "allkeys-lfu" => EvictionPolicy::AllKeysLfu,
            "allkeys-random" => EvictionPolicy::AllKeysRandom,
            "volatile-lru" => EvictionPolicy::VolatileLru,
            "volatile-lfu" => EvictionPolicy::VolatileLfu,
            "volatile-random" => EvictionPolicy::VolatileRandom,
            "volatile-ttl" => EvictionPolicy::VolatileTtl,
            _ => EvictionPolicy::NoEviction,
        }
    }

    /// Access data is an LFU counter rather than an LRU clock.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu
        )
    }

    /// Only keys with a TTL may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eviction {
    pub policy: EvictionPolicy,
    /// Keys sampled per eviction round (`maxmemory-samples`).
    pub samples: u32,
    /// 0..100: how long one command may keep evicting (`maxmemory-eviction-tenacity`).
    pub tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_minutes: u32,
}

impl Default for Eviction {
    fn default() -> Self {
        Eviction {
            policy: EvictionPolicy::NoEviction,
            samples: 5,
            tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_minutes: 1,
        }
    }
}

/// Active defragmentation (`activedefrag` and `active-defrag-*`): when it may start,
/// and how much of a shard's time it may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defrag {
    pub enabled: bool,
    /// Fragmentation below this many bytes is left alone.
    pub ignore_bytes: u64,
    /// Fragmentation (percent over used memory) at which a pass starts ...
    pub threshold_lower_pct: u32,
    /// ... and at which it runs at its maximum effort.
    pub threshold_upper_pct: u32,
    /// Share of a shard's time a pass takes at the lower and upper thresholds.
    pub cycle_min_pct: u32,
    pub cycle_max_pct: u32,
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag {
            enabled: false,
            ignore_bytes: 100 << 20,
            threshold_lower_pct: 10,
            threshold_upper_pct: 100,
            cycle_min_pct: 1,
            cycle_max_pct: 25,
        }
    }
}

/// Thresholds at which small collections leave their compact encoding, as Redis 7.0's
/// `hash-max-listpack-*`, `set-max-intset-entries`, `zset-max-listpack-*` and
/// `list-max-listpack-size` (their `ziplist` aliases set the same values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodingLimits {
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value_bytes: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value_bytes: u64,
    /// Positive: entries per list node; -1..-5: node size 4/8/16/32/64 KiB.
    pub list_max_listpack_size: i64,
}

impl Default for EncodingLimits {
    fn default() -> Self {
        EncodingLimits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value_bytes: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value_bytes: 64,
            list_max_listpack_size: -2,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            port: 6379,
            bind: vec!["127.0.0.1".into()],
            protected_mode: true,
            requirepass: None,
            databases: 16,
            timeout_secs: 0,
            tcp_keepalive_secs: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            dir: PathBuf::from("."),
            dbfilename: "dump.rdb".into(),
            enable_debug_command: EnableMode::No,
            threads: 0,
            pin_threads: PinThreads::Auto,
            proto_max_bulk_len_bytes: 512 * 1024 * 1024,
            client_query_buffer_limit_bytes: 1024 * 1024 * 1024,
            maxmemory_bytes: 0,
            maxmemory_policy: "noeviction".into(),
            active_expire_effort: 1,
            encodings: EncodingLimits::default(),
            eviction: Eviction::default(),
            defrag: Defrag::default(),
            save_rules: parse_save_rules("3600 1 300 100 60 10000"),
            stop_writes_on_bgsave_error: true,
            rdbcompression: true,
            rdbchecksum: true,
            disable_thp: true,
            monitor: MonitorLimits::default(),
            latency_percentiles: vec![50.0, 99.0, 99.9],
        }
    }
}

/// The whole configuration: every parameter's current value.
#[derive(Clone, Debug)]
pub struct Config {
    /// The CONFIG GET text of each parameter, by index in `PARAMS`.
    values: Vec<Vec<u8>>,
    settings: Settings,
    config_file: Option<PathBuf>,
}

impl Default for Config {
    /// Every parameter at its default; `dir` is the process's current directory.
    fn default() -> Config {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let values = PARAMS
            .iter()
            .map(|p| match p.kind {
                Kind::Dir => cwd.as_os_str().as_bytes().to_vec(),
                _ => p.default.as_bytes().to_vec(),
            })
            .collect();
        let mut config = Config {
            values,
            settings: Settings::default(),
            config_file: None,
        };
        config.rebuild_settings();
        config
    }
}

/// A parameter found by name: which row, and the name it was found under (its own or
/// its alias, as the table spells it).
#[derive(Clone, Copy, Debug)]
struct Entry {
    index: usize,
    param: &'static Param,
    key: &'static str,
}

impl Config {
    /// Builds the configuration from the command line (without the program name):
    /// `[config-file] [--directive value ...]`, `-` reading more from stdin. Returns the
    /// warnings to log (directives known to Redis that shoal accepts but does not
    /// implement). The error is the text redis-server would print to stderr before
    /// exiting (a fatal config error starts with a newline, as Redis prints it).
    pub fn from_args(args: &[String]) -> Result<(Config, Vec<String>), String> {
        load::from_args(args, &mut std::io::stdin().lock())
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The config file's absolute path, when started with one.
    pub fn config_file(&self) -> Option<&PathBuf> {
        self.config_file.as_ref()
    }

    /// The current value of one parameter (by name or alias, any case), as CONFIG GET
    /// prints it.
    pub fn value(&self, name: &str) -> Option<&[u8]> {
        Config::lookup(name.as_bytes()).map(|e| self.values[e.index].as_slice())
    }

    /// A parameter's value as an integer (None when it is not one).
    pub fn int_value(&self, name: &str) -> Option<i64> {
        std::str::from_utf8(self.value(name)?).ok()?.parse().ok()
    }

    /// CONFIG GET: every (name, value) whose name matches one of the glob `patterns`,
    /// each name once. As in Redis, a pattern without `*`, `?` or `[` is looked up
    /// directly and answered under the name as given (hidden parameters only answer
    /// this way); patterns match names and aliases ignoring case.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut found: Vec<(String, usize)> = Vec::new();
        let seen = |found: &[(String, usize)], name: &[u8]| {
            found
                .iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            if !pattern.iter().any(|b| b"[*?".contains(b)) {
                if let Some(entry) = Config::lookup(pattern).filter(|_| !seen(&found, pattern)) {
                    found.push((String::from_utf8_lossy(pattern).into_owned(), entry.index));
                }
                continue;
            }
            for entry in Config::entries().filter(|e| !e.param.has(HIDDEN)) {
                let key = entry.key.as_bytes();
                if !seen(&found, key) && glob_match(pattern, key, true) {
                    found.push((entry.key.to_string(), entry.index));
                }
            }
        }
        found
            .into_iter()
            .map(|(name, index)| {
                (
                    name,
                    String::from_utf8_lossy(&self.values[index]).into_owned(),
                )
            })
            .collect()
    }

    /// CONFIG SET from a client that is not local: all pairs or none; the error is the
    /// exact Redis text.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        self.set_from(pairs, false)
    }

    /// CONFIG SET, knowing whether the client is local (loopback or unix socket), which
    /// `enable-protected-configs local` allows to set `dir` and `dbfilename`.
    pub fn set_from(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<(), String> {
        let entries = self.check_set(pairs, client_is_local)?;
        let mut next = self.clone();
        for (entry, (_, value)) in entries.iter().zip(pairs) {
            let args = value::split_set_value(&entry.param.kind, value);
            next.store(entry.index, &args)
                .map_err(|e| crate::errors::config_set_failed(entry.key, &e))?;
        }
        next.rebuild_settings();
        *self = next;
        Ok(())
    }

    /// The names of a CONFIG SET, resolved; the first problem is the error.
    fn check_set(
        &self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<Vec<Entry>, String> {
        let protected_ok = self
            .enable_mode("enable-protected-configs")
            .allows(client_is_local);
        let mut entries: Vec<Entry> = Vec::new();
        for (name, _) in pairs {
            let shown = String::from_utf8_lossy(name);
            let Some(entry) = Config::lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            };
            let problem = if entry.param.has(IMMUTABLE) {
                Some("can't set immutable config")
            } else if entry.param.has(PROTECTED) && !protected_ok {
                Some("can't set protected config")
            } else if entries.iter().any(|e| e.key == entry.key) {
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(crate::errors::config_set_failed(&shown, problem));
            }
            entries.push(entry);
        }
        Ok(entries)
    }

    /// Sets one parameter from its arguments.
    fn store(&mut self, index: usize, args: &[&[u8]]) -> Result<(), String> {
        let param = &PARAMS[index];
        self.values[index] = value::parse(&param.kind, args, &self.values[index])?;
        Ok(())
    }

    /// Every name CONFIG knows: each parameter's own name, then its alias.
    fn entries() -> impl Iterator<Item = Entry> {
        PARAMS.iter().enumerate().flat_map(|(index, param)| {
            std::iter::once(param.name)
                .chain(param.alias)
                .map(move |key| Entry { index, param, key })
        })
    }

    fn lookup(name: &[u8]) -> Option<Entry> {
        Config::entries().find(|e| e.key.as_bytes().eq_ignore_ascii_case(name))
    }

    // ---- typed view ------------------------------------------------------------------

    fn text(&self, name: &str) -> &[u8] {
        self.value(name).unwrap_or_default()
    }

    fn string(&self, name: &str) -> String {
        String::from_utf8_lossy(self.text(name)).into_owned()
    }

    /// A number parameter (its text is always a plain non-negative integer here).
    fn number(&self, name: &str) -> u64 {
        self.string(name).parse().unwrap_or(0)
    }

    fn enable_mode(&self, name: &str) -> EnableMode {
        EnableMode::from_text(self.text(name))
    }

    fn rebuild_settings(&mut self) {
        let n = |name: &str| self.number(name);
        let settings = Settings {
            port: u16::try_from(n("port")).unwrap_or(0),
            bind: self
                .string("bind")
                .split(' ')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
            protected_mode: self.text("protected-mode") == b"yes",
            requirepass: Some(self.text("requirepass").to_vec()).filter(|p| !p.is_empty()),
            databases: usize::try_from(n("databases")).unwrap_or(usize::MAX),
            timeout_secs: n("timeout"),
            tcp_keepalive_secs: n("tcp-keepalive"),
            tcp_backlog: u32::try_from(n("tcp-backlog")).unwrap_or(u32::MAX),
            maxclients: n("maxclients"),
            hz: u32::try_from(n("hz")).unwrap_or(u32::MAX),
            loglevel: self.string("loglevel"),
            logfile: self.string("logfile"),
            dir: PathBuf::from(std::ffi::OsStr::from_bytes(self.text("dir"))),
            dbfilename: self.string("dbfilename"),
            enable_debug_command: self.enable_mode("enable-debug-command"),
            threads: usize::try_from(n("threads")).unwrap_or(0),
            pin_threads: PinThreads::from_text(self.text("pin-threads")),
            disable_thp: self.text("disable-thp") == b"yes",
            proto_max_bulk_len_bytes: n("proto-max-bulk-len"),
            client_query_buffer_limit_bytes: n("client-query-buffer-limit"),
            maxmemory_bytes: n("maxmemory"),
            maxmemory_policy: self.string("maxmemory-policy"),
            active_expire_effort: u32::try_from(n("active-expire-effort")).unwrap_or(1),
            eviction: Eviction {
                policy: EvictionPolicy::from_name(&self.string("maxmemory-policy")),
                samples: u32::try_from(n("maxmemory-samples")).unwrap_or(5),
                tenacity: u32::try_from(n("maxmemory-eviction-tenacity")).unwrap_or(10),
                lfu_log_factor: u32::try_from(n("lfu-log-factor")).unwrap_or(10),
                lfu_decay_minutes: u32::try_from(n("lfu-decay-time")).unwrap_or(1),
            },
            defrag: Defrag {
                enabled: self.text("activedefrag") == b"yes",
                ignore_bytes: n("active-defrag-ignore-bytes"),
                threshold_lower_pct: u32::try_from(n("active-defrag-threshold-lower"))
                    .unwrap_or(10),
                threshold_upper_pct: u32::try_from(n("active-defrag-threshold-upper"))
                    .unwrap_or(100),
                cycle_min_pct: u32::try_from(n("active-defrag-cycle-min")).unwrap_or(1),
                cycle_max_pct: u32::try_from(n("active-defrag-cycle-max")).unwrap_or(25),
            },
            encodings: EncodingLimits {
                hash_max_listpack_entries: n("hash-max-listpack-entries"),
                hash_max_listpack_value_bytes: n("hash-max-listpack-value"),
                set_max_intset_entries: n("set-max-intset-entries"),
                zset_max_listpack_entries: n("zset-max-listpack-entries"),
                zset_max_listpack_value_bytes: n("zset-max-listpack-value"),
                list_max_listpack_size: self.string("list-max-listpack-size").parse().unwrap_or(-2),
            },
            save_rules: parse_save_rules(&self.string("save")),
            stop_writes_on_bgsave_error: self.text("stop-writes-on-bgsave-error") == b"yes",
            rdbcompression: self.text("rdbcompression") == b"yes",
            rdbchecksum: self.text("rdbchecksum") == b"yes",
            monitor: MonitorLimits {
                slowlog_slower_than_us: self
                    .string("slowlog-log-slower-than")
                    .parse()
                    .unwrap_or(-1),
                slowlog_max_len: n("slowlog-max-len"),
                latency_threshold_ms: n("latency-monitor-threshold"),
                latency_tracking: self.text("latency-tracking") == b"yes",
            },
            latency_percentiles: self
                .string("latency-tracking-info-percentiles")
                .split(' ')
                .filter_map(|p| p.parse().ok())
                .collect(),
        };
        self.settings = settings;
    }
}

#[cfg(test)]
mod tests;
