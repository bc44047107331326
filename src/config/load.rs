//! Startup configuration: the command line and redis.conf-syntax files, read the way
//! redis-server 7.0.15 reads them.
//!
//! redis-server turns `--name value ...` arguments into config lines (values quoted) and
//! appends them, after a newline, to the text of the config file (and of stdin, for
//! `-`); line numbers in errors count through that combined text. Lines are trimmed, `#`
//! starts a comment, arguments are split with `sdssplitargs`, and `include` reads other
//! files (glob patterns allowed) in place. Errors are returned as the text redis-server
//! prints before exiting.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Config;
use super::table::{DEPRECATED, Kind, OTHER_DIRECTIVES, SHOAL};
use super::value;
use crate::util::glob::glob_match;
use crate::util::splitargs::split_args;

/// The Redis version named in fatal config errors.
const REDIS_VERSION: &str = "7.0.15";
/// How deep `include` may nest (Redis has no limit and eventually overflows its stack).
const INCLUDE_DEPTH_MAX: usize = 16;
/// Most files one `include` glob may name.
const INCLUDE_GLOB_FILES_MAX: usize = 1024;

/// One `--name value ...` group from the command line, as a config line.
struct ArgLine {
    /// The line as Redis builds it (values quoted), for error messages.
    text: Vec<u8>,
    /// Its arguments; `None` when the name part has unbalanced quotes.
    argv: Option<Vec<Vec<u8>>>,
}

/// The command line, split into its parts.
struct CommandLine {
    config_file: Option<String>,
    read_stdin: bool,
    lines: Vec<ArgLine>,
}

/// Reads the configuration as `redis-server <args>` would. `stdin` is read when an
/// argument is `-`.
pub(super) fn from_args(
    args: &[String],
    stdin: &mut dyn Read,
) -> Result<(Config, Vec<String>), String> {
    let command_line = parse_command_line(args);
    let mut loader = Loader::new(Config::default());
    let mut text = Vec::new();
    if let Some(file) = &command_line.config_file {
        let path = absolute_path(file, &loader.dir());
        text = read_config_file(&path)?;
        loader.config.config_file = Some(path);
    }
    if command_line.read_stdin {
        stdin
            .read_to_end(&mut text)
            .map_err(|e| format!("Error reading config from stdin: {e}"))?;
    }
    loader.load_text(&text, Some(&command_line.lines), 0)?;
    if loader.module_config_seen {
        return Err(
            "Module Configuration detected without loadmodule directive or no \
                    ApplyConfig call: aborting"
                .into(),
        );
    }
    loader.config.rebuild_settings();
    Ok((loader.config, loader.warnings))
}

/// Redis `main()`'s argument handling.
fn parse_command_line(args: &[String]) -> CommandLine {
    let mut out = CommandLine {
        config_file: None,
        read_stdin: false,
        lines: Vec::new(),
    };
    let first_is_file = args.first().is_some_and(|a| !a.starts_with('-'));
    if first_is_file {
        out.config_file = args.first().cloned();
    }
    let last = args.len().saturating_sub(1);
    // Right after a lone `--name`, the next argument is its value even if it starts
    // with "--".
    let mut value_expected = false;
    for (j, arg) in args.iter().enumerate().skip(usize::from(first_is_file)) {
        let no_value_follows = j == last || args[j + 1].starts_with("--");
        if arg == "-" && (j == 0 || j == last) {
            out.read_stdin = true;
        } else if !value_expected && arg.starts_with("--") {
            let (line, expects_value) = option_line(arg, no_value_follows);
            out.lines.push(line);
            value_expected = expects_value;
        } else {
            out.push_value(arg.as_bytes());
            value_expected = false;
        }
    }
    out
}

/// The line a `--name` argument starts, and whether a value must follow. `--save` with
/// no value means `save ""`.
fn option_line(arg: &str, no_value_follows: bool) -> (ArgLine, bool) {
    let name = &arg[2..];
    let mut line = ArgLine {
        text: format!("{name} ").into_bytes(),
        argv: split_args(name.as_bytes()),
    };
    if split_args(arg.as_bytes()).is_none_or(|t| t.len() != 1) {
        return (line, false); // "--name value" in one argument
    }
    if no_value_follows && arg.eq_ignore_ascii_case("--save") {
        push_value(&mut line, b"");
        return (line, false);
    }
    let bare_sentinel = no_value_follows && arg.eq_ignore_ascii_case("--sentinel");
    (line, !bare_sentinel)
}

impl CommandLine {
    /// A value for the current line (or the start of a line, before any `--name`).
    fn push_value(&mut self, value: &[u8]) {
        if self.lines.is_empty() {
            self.lines.push(ArgLine {
                text: Vec::new(),
                argv: Some(Vec::new()),
            });
        }
        if let Some(line) = self.lines.last_mut() {
            push_value(line, value);
            line.text.push(b' ');
        }
    }
}

fn push_value(line: &mut ArgLine, value: &[u8]) {
    line.text.extend_from_slice(&repr(value));
    if let Some(argv) = &mut line.argv {
        argv.push(value.to_vec());
    }
}

/// Redis `sdscatrepr`: the bytes in double quotes, with C escapes.
pub fn repr(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b),
            b => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

/// Redis `getAbsolutePath`: trims white space, joins relative paths to `cwd` and folds
/// leading `../` pieces into it.
fn absolute_path(file: &str, cwd: &Path) -> PathBuf {
    let mut rel = file.trim_matches([' ', '\r', '\n', '\t']);
    if rel.starts_with('/') {
        return PathBuf::from(rel);
    }
    let mut base = cwd.to_path_buf();
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if base.parent().is_some() {
            base.pop();
        }
    }
    base.join(rel)
}

fn read_config_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| {
        format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            crate::errors::os_error_text(&e)
        )
    })
}

/// The fatal error block redis-server prints for a bad config line (or, without a line,
/// for a problem found after reading).
fn fatal(line: Option<(usize, &[u8])>, message: &str) -> String {
    let mut out = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
    if let Some((number, text)) = line {
        out.push_str(&format!(
            "Reading the configuration file, at line {number}\n>>> '{}'\n",
            String::from_utf8_lossy(text)
        ));
    }
    out.push_str(message);
    out
}

/// Why a directive failed: a message the line is added to, or a complete error text.
enum Failure {
    Line(String),
    Whole(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Line(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::Line(message.to_string())
    }
}

/// Loading state: the configuration being built and what Redis remembers while reading.
struct Loader {
    config: Config,
    warnings: Vec<String>,
    /// Directive names already warned about.
    warned: Vec<String>,
    /// Redis's `reading_config_file`: while set, `save` lines add to each other.
    reading_file: bool,
    /// Redis's `save_loaded`: the first `save` line read replaces the defaults.
    save_loaded: bool,
    module_config_seen: bool,
}

impl Loader {
    fn new(config: Config) -> Loader {
        Loader {
            config,
            warnings: Vec::new(),
            warned: Vec::new(),
            reading_file: false,
            save_loaded: false,
            module_config_seen: false,
        }
    }

    /// The current directory as the loaded `dir` lines leave it.
    fn dir(&self) -> PathBuf {
        PathBuf::from(std::ffi::OsStr::from_bytes(
            self.config.value("dir").unwrap_or(b"."),
        ))
    }

    /// Redis `loadServerConfigFromString`: the file text, then (at the top level) the
    /// command-line lines after it.
    fn load_text(
        &mut self,
        text: &[u8],
        arg_lines: Option<&[ArgLine]>,
        depth: usize,
    ) -> Result<(), String> {
        self.reading_file = true;
        let file_lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for (i, raw) in file_lines.iter().enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            self.load_line(i + 1, line, split_args(line), depth)?;
        }
        for (i, arg_line) in arg_lines.unwrap_or_default().iter().enumerate() {
            let line = trim(&arg_line.text);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let number = file_lines.len() + i + 1;
            self.load_line(number, line, arg_line.argv.clone(), depth)?;
        }
        self.after_text()
    }

    fn load_line(
        &mut self,
        number: usize,
        text: &[u8],
        argv: Option<Vec<Vec<u8>>>,
        depth: usize,
    ) -> Result<(), String> {
        let Some(mut argv) = argv else {
            return Err(fatal(
                Some((number, text)),
                "Unbalanced quotes in configuration line",
            ));
        };
        if argv.is_empty() {
            return Ok(());
        }
        argv[0].make_ascii_lowercase();
        self.directive(number, &argv, depth)
            .map_err(|failure| match failure {
                Failure::Line(message) => fatal(Some((number, text)), &message),
                Failure::Whole(message) => message,
            })
    }

    fn directive(&mut self, number: usize, argv: &[Vec<u8>], depth: usize) -> Result<(), Failure> {
        let name = String::from_utf8_lossy(&argv[0]).into_owned();
        let args: Vec<&[u8]> = argv[1..].iter().map(Vec::as_slice).collect();
        if let Some(entry) = Config::lookup(&argv[0]) {
            if !entry.param.kind.multi_arg() && args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            self.set_param(entry.index, &args)?;
            if !entry.param.has(SHOAL) {
                self.warn(&name, number);
            }
            return Ok(());
        }
        let argc = argv.len();
        if DEPRECATED.contains(&(name.as_str(), argc)) {
            return Ok(());
        }
        let other = OTHER_DIRECTIVES
            .iter()
            .any(|(n, min, max)| *n == name && (*min..=*max).contains(&argc));
        let message = match name.as_str() {
            "include" if argc == 2 => return self.include(&argv[1], depth).map_err(Failure::Whole),
            _ if other => {
                self.warn(&name, number);
                return Ok(());
            }
            n if n.contains('.') && argc == 2 => {
                self.module_config_seen = true;
                return Ok(());
            }
            n if n.contains('.') => "Module config specified without value",
            "sentinel" if argc == 1 => "shoal does not support sentinel mode",
            "sentinel" => "sentinel directive while not in sentinel mode",
            _ => "Bad directive or wrong number of arguments",
        };
        Err(message.into())
    }

    fn set_param(&mut self, index: usize, args: &[&[u8]]) -> Result<(), String> {
        let param = &super::table::PARAMS[index];
        if !matches!(param.kind, Kind::Save) {
            return self.config.store(index, args);
        }
        // `save` lines read from files add up; the first one replaces the defaults, and
        // a lone "" clears what was there.
        let fresh = value::parse_save(args)?;
        let cleared = args.len() == 1 && args[0].is_empty();
        let mut base = if cleared {
            Vec::new()
        } else {
            self.config.values[index].clone()
        };
        if !self.reading_file || !self.save_loaded {
            self.save_loaded |= self.reading_file;
            base.clear();
        }
        if !base.is_empty() && !fresh.is_empty() {
            base.push(b' ');
        }
        base.extend_from_slice(&fresh);
        self.config.values[index] = base;
        Ok(())
    }

    fn warn(&mut self, name: &str, number: usize) {
        if self.warned.iter().any(|w| w == name) {
            return;
        }
        self.warned.push(name.to_string());
        self.warnings.push(format!(
            "config directive '{name}' (line {number}) is accepted but not implemented by \
             shoal; it has no effect"
        ));
    }

    /// `include <path>`: a file, or every file a glob pattern names (none is fine).
    fn include(&mut self, pattern: &[u8], depth: usize) -> Result<(), String> {
        if depth >= INCLUDE_DEPTH_MAX {
            return Err(format!(
                "include nesting is deeper than {INCLUDE_DEPTH_MAX} levels"
            ));
        }
        let name = String::from_utf8_lossy(pattern).into_owned();
        let base = self.dir();
        let files = if pattern.iter().any(|b| b"*?[".contains(b)) {
            glob_files(pattern, &base)
        } else {
            vec![PathBuf::from(&name)]
        };
        let mut text = Vec::new();
        for file in files {
            let contents = std::fs::read(base.join(&file)).map_err(|e| {
                format!(
                    "Fatal error, can't open config file '{}': {}",
                    file.display(),
                    crate::errors::os_error_text(&e)
                )
            })?;
            text.extend_from_slice(&contents);
        }
        self.load_text(&text, None, depth + 1)
    }

    /// Redis's checks at the end of each loaded text.
    fn after_text(&mut self) -> Result<(), String> {
        self.reading_file = false;
        let logfile = self.config.value("logfile").unwrap_or_default().to_vec();
        if !logfile.is_empty() {
            let path = self.dir().join(std::ffi::OsStr::from_bytes(&logfile));
            let opened = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path);
            if let Err(e) = opened {
                let message = format!(
                    "Can't open the log file: {}",
                    crate::errors::os_error_text(&e)
                );
                return Err(fatal(None, &message));
            }
        }
        let cluster = self.config.value("cluster-enabled") == Some(b"yes");
        let replica = !self
            .config
            .value("replicaof")
            .unwrap_or_default()
            .is_empty();
        if cluster && replica {
            return Err(fatal(
                None,
                "replicaof directive not allowed in cluster mode",
            ));
        }
        Ok(())
    }
}

/// Trims what `sdstrim(line, " \t\r\n")` trims.
fn trim(line: &[u8]) -> &[u8] {
    let is_blank = |b: &u8| b" \t\r\n".contains(b);
    let start = line.iter().position(|b| !is_blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

/// The files a glob pattern names, like glob(3): wildcards in any path component, dot
/// files only for a component starting with '.', sorted. Relative results stay relative
/// (to `base`).
fn glob_files(pattern: &[u8], base: &Path) -> Vec<PathBuf> {
    let absolute = pattern.first() == Some(&b'/');
    let mut found = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    for component in pattern.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        let wild = component.iter().any(|b| b"*?[".contains(b));
        let mut next = Vec::new();
        for dir in &found {
            if !wild {
                next.push(dir.join(std::ffi::OsStr::from_bytes(component)));
                continue;
            }
            let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let file_name = entry.file_name();
                let bytes = file_name.as_bytes();
                let hidden_ok = component.first() == Some(&b'.') || bytes.first() != Some(&b'.');
                if hidden_ok && glob_match(component, bytes, false) {
                    next.push(dir.join(&file_name));
                }
            }
        }
        next.truncate(INCLUDE_GLOB_FILES_MAX);
        found = next;
    }
    found.retain(|p| base.join(p).is_file());
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn lines(args: &[&str]) -> Vec<(String, Vec<String>)> {
        parse_command_line(&strings(args))
            .lines
            .iter()
            .map(|l| {
                let argv = l.argv.clone().unwrap_or_default();
                (
                    String::from_utf8_lossy(&l.text).into_owned(),
                    argv.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn command_line_lines() {
        assert_eq!(
            lines(&["--port", "1", "2", "--save"]),
            vec![
                (
                    "port \"1\" \"2\" ".to_string(),
                    strings(&["port", "1", "2"])
                ),
                ("save \"\"".to_string(), strings(&["save", ""])),
            ]
        );
        // A value may start with "--" right after its name.
        assert_eq!(
            lines(&["--requirepass", "--foo", "--port", "0"])[0].1,
            strings(&["requirepass", "--foo"])
        );
        assert_eq!(
            lines(&["--save", "--port", "0"])[0].1,
            strings(&["save", ""])
        );
        let command_line = parse_command_line(&strings(&["my.conf", "-"]));
        assert_eq!(command_line.config_file.as_deref(), Some("my.conf"));
        assert!(command_line.read_stdin);
    }

    #[test]
    fn repr_quotes_like_sdscatrepr() {
        assert_eq!(repr(b"a b"), b"\"a b\"");
        assert_eq!(repr(b"q\"\\\n\x01"), b"\"q\\\"\\\\\\n\\x01\"");
    }

    #[test]
    fn absolute_paths() {
        let cwd = Path::new("/a/b");
        assert_eq!(absolute_path("x.conf", cwd), PathBuf::from("/a/b/x.conf"));
        assert_eq!(absolute_path("../x.conf", cwd), PathBuf::from("/a/x.conf"));
        assert_eq!(absolute_path(" /x.conf\n", cwd), PathBuf::from("/x.conf"));
    }

    #[test]
    fn trims_like_sdstrim() {
        assert_eq!(trim(b" \tport 1\r\n"), b"port 1");
        assert_eq!(trim(b"  "), b"");
    }
}
