//! Configuration like redis-server's (placeholder interface; the full module replaces
//! the body, keeping the API): a redis.conf-syntax file plus `--directive value` flags,
//! and CONFIG GET / SET over every Redis 7.0 parameter name.

use std::path::PathBuf;

/// How DEBUG (and similar) commands are allowed: Redis's `enable-debug-command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnableMode {
    No,
    Yes,
    Local,
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
    pub proto_max_bulk_len_bytes: u64,
    pub client_query_buffer_limit_bytes: u64,
    pub maxmemory_bytes: u64,
    pub maxmemory_policy: String,
    pub active_expire_effort: u32,
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
            proto_max_bulk_len_bytes: 512 * 1024 * 1024,
            client_query_buffer_limit_bytes: 1024 * 1024 * 1024,
            maxmemory_bytes: 0,
            maxmemory_policy: "noeviction".into(),
            active_expire_effort: 1,
        }
    }
}

/// The whole configuration: every parameter's current value.
#[derive(Clone, Debug, Default)]
pub struct Config {
    settings: Settings,
    config_file: Option<PathBuf>,
}

impl Config {
    /// Builds the configuration from the command line (without the program name):
    /// `[config-file] [--directive value ...]`. Returns the warnings to log (directives
    /// known to Redis that shoal accepts but does not implement).
    pub fn from_args(args: &[String]) -> Result<(Config, Vec<String>), String> {
        let mut config = Config::default();
        let mut i = 0;
        while i < args.len() {
            let name = args[i].trim_start_matches("--").to_string();
            let value = args.get(i + 1).cloned().unwrap_or_default();
            config.set_one(&name, &value)?;
            i += 2;
        }
        Ok((config, Vec::new()))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn config_file(&self) -> Option<&PathBuf> {
        self.config_file.as_ref()
    }

    /// CONFIG GET: every (name, value) whose name matches one of the glob `patterns`.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for p in patterns {
            if *p == b"port" {
                out.push(("port".into(), self.settings.port.to_string()));
            }
        }
        out
    }

    /// CONFIG SET: all pairs or none; the error is the exact Redis text.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let mut next = self.clone();
        for (name, value) in pairs {
            next.set_one(
                &String::from_utf8_lossy(name),
                &String::from_utf8_lossy(value),
            )?;
        }
        *self = next;
        Ok(())
    }

    fn set_one(&mut self, name: &str, value: &str) -> Result<(), String> {
        let s = &mut self.settings;
        match name {
            "port" => s.port = value.parse().map_err(|_| format!("bad port {value}"))?,
            "threads" => s.threads = value.parse().map_err(|_| format!("bad threads {value}"))?,
            "requirepass" => s.requirepass = (!value.is_empty()).then(|| value.as_bytes().to_vec()),
            "enable-debug-command" => {
                s.enable_debug_command = match value {
                    "yes" => EnableMode::Yes,
                    "local" => EnableMode::Local,
                    _ => EnableMode::No,
                }
            }
            "bind" => s.bind = value.split(' ').map(String::from).collect(),
            "databases" => s.databases = value.parse().map_err(|_| "bad databases".to_string())?,
            "hz" => s.hz = value.parse().map_err(|_| "bad hz".to_string())?,
            _ => {}
        }
        Ok(())
    }
}
