//! Parsing, checking and printing parameter values, one function per value type.
//!
//! Every parameter's current value is kept as the exact text `CONFIG GET` returns (its
//! canonical form). `parse` turns the arguments of a config-file line or a CONFIG SET
//! into that text, or fails with Redis's error tail (the part after "... - "). The
//! number parsers reproduce the C functions Redis uses (`string2ll`, `memtoull`,
//! `strtoll`, `string2d`), including what they accept that a Rust parser would not.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::table::{Kind, Num, NumStyle, SHUTDOWN_FLAGS, StrRule};

/// Most addresses `bind` takes (Redis's CONFIG_BINDADDR_MAX).
const BIND_ADDRS_MAX: usize = 16;
/// Longest announced hostname, exclusive (Redis's NET_HOST_STR_LEN).
const HOSTNAME_BYTES_MAX: usize = 256;
/// `hz` is clamped to this range after it is set.
const HZ_MIN: i64 = 1;
const HZ_MAX: i64 = 500;
/// The `save` and `nosave` bits of `SHUTDOWN_FLAGS`.
const SHUTDOWN_SAVE_AND_NOSAVE: u32 = 1 | 2;
/// Client classes of `client-output-buffer-limit`, in output order.
const CLIENT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// The canonical text of `kind` set to `args`. `old` is the current canonical value
/// (a partial `client-output-buffer-limit` keeps the other classes; a relative `dir` is
/// taken from the current one).
pub fn parse(kind: &Kind, args: &[&[u8]], old: &[u8]) -> Result<Vec<u8>, String> {
    let one = args.first().copied().unwrap_or_default();
    match kind {
        Kind::Bool => parse_bool(one),
        Kind::Num(num) => parse_num(num, one).map(|v| format_num(num, v).into_bytes()),
        Kind::Hz => parse_hz(one),
        Kind::Enum(names) => parse_enum(names, one),
        Kind::ShutdownFlags => parse_shutdown_flags(args),
        Kind::Str(rule) => parse_str(*rule, one),
        Kind::Save => parse_save(args),
        Kind::Bind => parse_bind(args),
        Kind::ClientOutputBufferLimit => parse_obuf_limits(args, old),
        Kind::OomScoreAdjValues => parse_oom_values(args),
        Kind::NotifyKeyspaceEvents => parse_notify(one),
        Kind::ReplicaOf => parse_replicaof(args),
        Kind::Percentiles => parse_percentiles(args),
        Kind::Dir => parse_dir(one, old),
    }
}

/// The arguments CONFIG SET passes for `value`: several parameters split it on single
/// spaces (empty pieces included, as `sdssplitlen` does), the others take it whole.
pub fn split_set_value<'a>(kind: &Kind, value: &'a [u8]) -> Vec<&'a [u8]> {
    if !kind.multi_arg() {
        return vec![value];
    }
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|&b| b == b' ').collect()
}

fn parse_bool(v: &[u8]) -> Result<Vec<u8>, String> {
    match yes_no(v) {
        Some(true) => Ok(b"yes".to_vec()),
        Some(false) => Ok(b"no".to_vec()),
        None => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// Redis `yesnotoi`.
pub fn yes_no(v: &[u8]) -> Option<bool> {
    let v = c_str(v);
    if v.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// The value as a C string sees it: up to the first NUL.
fn c_str(v: &[u8]) -> &[u8] {
    v.split(|&b| b == 0).next().unwrap_or_default()
}

// ---- numbers -------------------------------------------------------------------------

/// Parses and range-checks a number, returning it as the C `long long` Redis keeps.
pub fn parse_num(num: &Num, v: &[u8]) -> Result<i64, String> {
    let value = read_num(num.style, v).ok_or_else(|| num_syntax_error(num.style))?;
    check_bounds(num, value)?;
    Ok(value)
}

fn read_num(style: NumStyle, v: &[u8]) -> Option<i64> {
    match style {
        NumStyle::Plain => string2ll(v),
        NumStyle::Memory => memtoull(v).map(|b| b as i64),
        NumStyle::MemoryOrPercent => memtoull(v).map(|b| b as i64).or_else(|| percent(v)),
        NumStyle::Octal => strtoll_exact(v, 8),
    }
}

/// `N%` with N a valid non-negative integer, stored negated.
fn percent(v: &[u8]) -> Option<i64> {
    let digits = v.strip_suffix(b"%").filter(|d| !d.is_empty())?;
    string2ll(digits).filter(|n| *n >= 0).map(|n| -n)
}

fn num_syntax_error(style: NumStyle) -> String {
    match style {
        NumStyle::Plain => "argument couldn't be parsed into an integer",
        NumStyle::Memory => "argument must be a memory value",
        NumStyle::MemoryOrPercent => "argument must be a memory or percent value",
        NumStyle::Octal => "argument couldn't be parsed as an octal number",
    }
    .into()
}

fn check_bounds(num: &Num, value: i64) -> Result<(), String> {
    let v = if num.unsigned {
        i128::from(value as u64)
    } else {
        i128::from(value)
    };
    if num.style == NumStyle::MemoryOrPercent && v < 0 {
        if v < num.min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -num.min
            ));
        }
        return Ok(());
    }
    if v < num.min || v > num.max {
        return Err(if num.style == NumStyle::Octal {
            format!(
                "argument must be between {:o} and {:o} inclusive",
                num.min, num.max
            )
        } else {
            format!(
                "argument must be between {} and {} inclusive",
                num.min, num.max
            )
        });
    }
    Ok(())
}

/// The text `CONFIG GET` shows for a checked number.
pub fn format_num(num: &Num, value: i64) -> String {
    match num.style {
        NumStyle::MemoryOrPercent if value < 0 => format!("{}%", -i128::from(value)),
        NumStyle::Memory | NumStyle::MemoryOrPercent => (value as u64).to_string(),
        NumStyle::Octal => format!("{value:o}"),
        NumStyle::Plain if num.unsigned => (value as u64).to_string(),
        NumStyle::Plain => value.to_string(),
    }
}

fn parse_hz(v: &[u8]) -> Result<Vec<u8>, String> {
    let num = Num {
        min: 0,
        max: i128::from(i32::MAX),
        unsigned: false,
        style: NumStyle::Plain,
    };
    let hz = parse_num(&num, v)?.clamp(HZ_MIN, HZ_MAX);
    Ok(hz.to_string().into_bytes())
}

/// Redis `string2ll`: optional '-', no leading zeros, no spaces or '+', fits an i64.
pub fn string2ll(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    if v == b"0" {
        return Some(0);
    }
    let (negative, digits) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(n)
    } else {
        i64::try_from(n).ok()
    }
}

/// Redis `memtoull`: digits then an optional unit (b, k, kb, m, mb, g, gb; any case).
/// The digit run may be empty (meaning 0); too many digits saturate, then overflow with
/// a unit is an error.
pub fn memtoull(v: &[u8]) -> Option<u64> {
    let v = c_str(v);
    if v.first() == Some(&b'-') {
        return None;
    }
    let digits_len = v.iter().take_while(|b| b.is_ascii_digit()).count();
    let (digits, unit) = v.split_at(digits_len);
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let value = digits.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    value.checked_mul(mul)
}

/// C `strtoll(v, &end, base)` followed by a check that `end` is the end of the string:
/// leading white space and a sign are allowed, an empty string is 0, overflow fails.
fn strtoll_exact(v: &[u8], base: u32) -> Option<i64> {
    match strtoll(c_str(v), base) {
        (value, true, false) => Some(value),
        _ => None,
    }
}

/// C `strtoll`: (value, whole string consumed, overflowed). Overflow saturates.
fn strtoll(v: &[u8], base: u32) -> (i64, bool, bool) {
    let start = v.iter().take_while(|b| is_c_space(**b)).count();
    let mut rest = &v[start..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    let digits = rest
        .iter()
        .take_while(|b| (**b as char).is_digit(base))
        .count();
    if digits == 0 {
        // No conversion: the end pointer is the start of the string.
        return (0, v.is_empty(), false);
    }
    let mut magnitude: u128 = 0;
    for d in &rest[..digits] {
        let digit = (*d as char).to_digit(base).unwrap_or(0);
        magnitude = (magnitude * u128::from(base) + u128::from(digit)).min(u128::from(u64::MAX));
    }
    let limit = if negative {
        i128::from(i64::MAX) + 1
    } else {
        i128::from(i64::MAX)
    };
    let overflow = magnitude as i128 > limit;
    let signed = (magnitude as i128).min(limit);
    let value = if negative { -signed } else { signed } as i64;
    (value, digits == rest.len(), overflow)
}

/// `strtoll(v, &end, 10)` with only the end checked (overflow saturates silently), as
/// `save`, `client-output-buffer-limit` and `oom-score-adj-values` parse their numbers.
fn strtoll_lenient(v: &[u8]) -> Option<i64> {
    match strtoll(c_str(v), 10) {
        (value, true, _) => Some(value),
        _ => None,
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

// ---- names ---------------------------------------------------------------------------

fn enum_error(names: &[(&str, u32)]) -> String {
    let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    format!(
        "argument(s) must be one of the following: {}",
        list.join(", ")
    )
}

fn enum_value(names: &[(&str, u32)], v: &[u8]) -> Option<u32> {
    let v = c_str(v);
    names
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(v))
        .map(|(_, value)| *value)
}

/// The first name with `value` (what Redis prints).
pub fn enum_name(names: &[(&'static str, u32)], value: u32) -> &'static str {
    names
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("unknown", |(n, _)| n)
}

fn parse_enum(names: &[(&'static str, u32)], v: &[u8]) -> Result<Vec<u8>, String> {
    let value = enum_value(names, v).ok_or_else(|| enum_error(names))?;
    Ok(enum_name(names, value).as_bytes().to_vec())
}

fn parse_shutdown_flags(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    let names = SHUTDOWN_FLAGS;
    if args.is_empty() {
        return Err(enum_error(names));
    }
    let mut bits = 0;
    for arg in args {
        bits |= enum_value(names, arg).ok_or_else(|| enum_error(names))?;
    }
    if bits & SHUTDOWN_SAVE_AND_NOSAVE == SHUTDOWN_SAVE_AND_NOSAVE {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(flag_names(names, bits).into_bytes())
}

fn flag_names(names: &[(&str, u32)], bits: u32) -> String {
    if let Some((name, _)) = names.iter().find(|(_, v)| *v == bits) {
        return (*name).to_string();
    }
    let mut left = bits;
    let mut out: Vec<&str> = Vec::new();
    for (name, v) in names {
        if *v != 0 && left & v == *v {
            out.push(name);
            left &= !v;
        }
    }
    if out.is_empty() || left != 0 {
        return "unknown".into();
    }
    out.join(" ")
}

// ---- text ----------------------------------------------------------------------------

fn parse_str(rule: StrRule, v: &[u8]) -> Result<Vec<u8>, String> {
    if rule == StrRule::Binary {
        return Ok(v.to_vec());
    }
    let v = c_str(v);
    let is_path = v.contains(&b'/') || v.contains(&b'\\');
    let err = match rule {
        StrRule::DbFilename if is_path => "dbfilename can't be a path, just a filename",
        StrRule::AofFilename if v.is_empty() => "appendfilename can't be empty",
        StrRule::AofFilename if is_path => "appendfilename can't be a path, just a filename",
        StrRule::AofDirname if v.is_empty() => "appenddirname can't be empty",
        StrRule::AofDirname if is_path => "appenddirname can't be a path, just a dirname",
        StrRule::Hostname if v.len() >= HOSTNAME_BYTES_MAX => {
            "Hostnames must be less than 256 characters"
        }
        StrRule::Hostname
            if !v
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(b)) =>
        {
            "Hostnames may only contain alphanumeric characters, hyphens or dots"
        }
        StrRule::ProcTitleTemplate if !valid_proc_title(v) => {
            "template format is invalid or contains unknown variables"
        }
        _ => return Ok(v.to_vec()),
    };
    Err(err.into())
}

/// A `proc-title-template`: `{name}` variables from Redis's set, `{{` for a brace, and
/// something left once `{title}` expands to nothing and spaces are trimmed.
fn valid_proc_title(v: &[u8]) -> bool {
    const VARIABLES: &[&[u8]] = &[
        b"title",
        b"listen-addr",
        b"server-mode",
        b"port",
        b"tls-port",
        b"unixsocket",
        b"config-file",
    ];
    let mut expanded = Vec::new();
    let mut rest = v;
    while let Some(open) = rest.iter().position(|&b| b == b'{') {
        expanded.extend_from_slice(&rest[..open]);
        let after = &rest[open + 1..];
        match after.first() {
            None => return false,
            Some(b'{') => {
                expanded.push(b'{');
                rest = &after[1..];
                continue;
            }
            Some(_) => {}
        }
        let Some(close) = after.iter().position(|&b| b == b'}') else {
            return false;
        };
        let name = &after[..close];
        if !VARIABLES.contains(&name) {
            return false;
        }
        if name != b"title" {
            expanded.push(b'x');
        }
        rest = &after[close + 1..];
    }
    expanded.extend_from_slice(rest);
    expanded.iter().any(|&b| b != b' ')
}

// ---- special parameters --------------------------------------------------------------

const SAVE_ERROR: &str = "Invalid save parameters";

/// `save`: pairs of seconds (>= 1) and changes (>= 0); a single empty argument means
/// none. Changes are a C `int`, so large values wrap as in Redis.
pub fn parse_save(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    let args = if args.len() == 1 && args[0].is_empty() {
        &[][..]
    } else {
        args
    };
    if !args.len().is_multiple_of(2) {
        return Err(SAVE_ERROR.into());
    }
    let mut out = Vec::new();
    for pair in args.chunks(2) {
        let seconds = strtoll_lenient(pair[0]).filter(|s| *s >= 1);
        let changes = strtoll_lenient(pair[1]).filter(|c| *c >= 0);
        let (Some(seconds), Some(changes)) = (seconds, changes) else {
            return Err(SAVE_ERROR.into());
        };
        out.push(format!("{seconds} {}", changes as i32));
    }
    Ok(out.join(" ").into_bytes())
}

fn parse_bind(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    if args.len() > BIND_ADDRS_MAX {
        return Err("Too many bind addresses specified.".into());
    }
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    Ok(args.join(&b' '))
}

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ObufLimit {
    hard_bytes: u64,
    soft_bytes: u64,
    soft_secs: i32,
}

fn parse_obuf_limits(args: &[&[u8]], old: &[u8]) -> Result<Vec<u8>, String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = read_obuf_limits(old);
    let mut updates = Vec::new();
    for group in args.chunks(4) {
        let class = obuf_class(group[0]).ok_or_else(|| {
            "Invalid client class specified in buffer limit configuration.".to_string()
        })?;
        let limit = obuf_limit(&group[1..]).ok_or_else(|| {
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string()
        })?;
        updates.push((class, limit));
    }
    for (class, limit) in updates {
        limits[class] = limit;
    }
    Ok(format_obuf_limits(&limits).into_bytes())
}

fn obuf_class(name: &[u8]) -> Option<usize> {
    let name = c_str(name).to_ascii_lowercase();
    match name.as_slice() {
        b"normal" => Some(0),
        b"slave" | b"replica" => Some(1),
        b"pubsub" => Some(2),
        _ => None,
    }
}

fn obuf_limit(values: &[&[u8]]) -> Option<ObufLimit> {
    let hard_bytes = memtoull(values[0])?;
    let soft_bytes = memtoull(values[1])?;
    let soft_secs = strtoll_lenient(values[2])? as i32;
    (soft_secs >= 0).then_some(ObufLimit {
        hard_bytes,
        soft_bytes,
        soft_secs,
    })
}

/// Reads back a canonical `client-output-buffer-limit` value.
fn read_obuf_limits(text: &[u8]) -> [ObufLimit; 3] {
    let mut limits = [ObufLimit::default(); 3];
    let words: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    for group in words.chunks_exact(4) {
        if let (Some(class), Some(limit)) = (obuf_class(group[0]), obuf_limit(&group[1..])) {
            limits[class] = limit;
        }
    }
    limits
}

fn format_obuf_limits(limits: &[ObufLimit; 3]) -> String {
    let parts: Vec<String> = CLIENT_CLASSES
        .iter()
        .zip(limits)
        .map(|(name, l)| format!("{name} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_secs))
        .collect();
    parts.join(" ")
}

fn parse_oom_values(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::new();
    for arg in args {
        match strtoll_lenient(arg) {
            Some(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                );
            }
        }
    }
    Ok(out.join(" ").into_bytes())
}

/// Keyspace notification classes, in the order Redis prints them after `A`.
const NOTIFY_CLASSES: &[(u8, u32)] = &[
    (b'g', 1 << 2),
    (b'$', 1 << 3),
    (b'l', 1 << 4),
    (b's', 1 << 5),
    (b'h', 1 << 6),
    (b'z', 1 << 7),
    (b'x', 1 << 8),
    (b'e', 1 << 9),
    (b't', 1 << 10),
    (b'd', 1 << 12),
    (b'n', 1 << 13),
];
const NOTIFY_KEYSPACE: u32 = 1 << 0;
const NOTIFY_KEYEVENT: u32 = 1 << 1;
const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `A`: every class except `n` (new key) and `m` (key miss).
const NOTIFY_ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 12);

/// The event-class bits of a `notify-keyspace-events` string.
pub fn notify_flags(v: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in c_str(v) {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b'm' => NOTIFY_KEY_MISS,
            _ => NOTIFY_CLASSES.iter().find(|(ch, _)| *ch == c)?.1,
        };
    }
    Some(flags)
}

fn parse_notify(v: &[u8]) -> Result<Vec<u8>, String> {
    let flags = notify_flags(v)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
    let mut out = Vec::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push(b'A');
    } else {
        out.extend(
            NOTIFY_CLASSES
                .iter()
                .filter(|(_, bit)| flags & bit != 0)
                .map(|(c, _)| *c),
        );
    }
    for (bit, c) in [
        (NOTIFY_KEYSPACE, b'K'),
        (NOTIFY_KEYEVENT, b'E'),
        (NOTIFY_KEY_MISS, b'm'),
    ] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    Ok(out)
}

fn parse_replicaof(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(Vec::new());
    }
    let port = match strtoll(c_str(port), 10) {
        (p, true, _) if (0..=65535).contains(&p) => p,
        _ => return Err("Invalid master port".into()),
    };
    let mut out = c_str(host).to_vec();
    out.extend_from_slice(format!(" {port}").as_bytes());
    Ok(out)
}

fn parse_percentiles(args: &[&[u8]]) -> Result<Vec<u8>, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for arg in args {
        let p = string2d(arg)
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(trim_double(format!("{p:.6}")));
    }
    Ok(out.join(" ").into_bytes())
}

/// Redis `string2d`: the whole string is a C `strtod` number, no leading space, no NaN,
/// no overflow.
fn string2d(v: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(v).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    parse_c_double(text).filter(|d| !d.is_nan())
}

/// The subset of C `strtod` syntax that matters here: decimal (with exponent), `inf`,
/// `infinity`, and hexadecimal `0x...` (integer part only, no binary exponent). Results
/// that overflow or underflow to zero fail, as `string2d` rejects them.
fn parse_c_double(text: &str) -> Option<f64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let magnitude = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if let Some(hex) = lower.strip_prefix("0x") {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(hex, 16).ok()? as f64
    } else {
        parse_decimal(&lower)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_decimal(text: &str) -> Option<f64> {
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || text.contains(|c: char| !(c.is_ascii_digit() || "+-.e".contains(c)))
    {
        return None;
    }
    let d: f64 = text.parse().ok()?;
    let mantissa = text.split('e').next().unwrap_or_default();
    let underflow = d == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    (!d.is_infinite() && !underflow).then_some(d)
}

/// Redis `trimDoubleString`: drop trailing zeros after the point, then a bare point.
fn trim_double(mut s: String) -> String {
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// `dir`: the directory must exist (Redis changes into it); the value is its absolute,
/// symlink-free path, as `getcwd` would print it. Relative paths start from `old`.
fn parse_dir(v: &[u8], old: &[u8]) -> Result<Vec<u8>, String> {
    let v = c_str(v);
    if v.is_empty() {
        return Err(crate::errors::os_error_text(
            &std::io::Error::from_raw_os_error(libc::ENOENT),
        ));
    }
    let path = Path::new(std::ffi::OsStr::from_bytes(old)).join(std::ffi::OsStr::from_bytes(v));
    let real = std::fs::canonicalize(&path).map_err(|e| crate::errors::os_error_text(&e))?;
    if !real.is_dir() {
        return Err(crate::errors::os_error_text(
            &std::io::Error::from_raw_os_error(libc::ENOTDIR),
        ));
    }
    Ok(real.as_os_str().as_bytes().to_vec())
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
