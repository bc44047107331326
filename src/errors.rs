//! Every error string a client can see, in one place, byte for byte as Redis 7.0 sends
//! them (without the leading `-` and trailing CRLF, which the reply writer adds).
//!
//! Fixed strings are `const`s; strings with a variable part are built by the small
//! functions at the end, which write into the reply buffer without allocating.
//! `tests` below pins the exact text of each, so a typo cannot slip in unnoticed.

// ---- generic -------------------------------------------------------------------------
pub const SYNTAX: &str = "ERR syntax error";
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const DB_INDEX_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
pub const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
pub const NOT_IMPLEMENTED: &str = "ERR this command is not implemented by shoal yet";
pub const VALUE_MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
pub const EXPIRE_NX_XX_GT_LT: &str =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
pub const EXPIRE_GT_LT: &str = "ERR GT and LT options at the same time are not compatible";
pub const INT_OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
pub const SWAPDB_FIRST_INDEX: &str = "ERR invalid first DB index";
pub const SWAPDB_SECOND_INDEX: &str = "ERR invalid second DB index";
pub const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
pub const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

// ---- connection / auth ---------------------------------------------------------------
pub const NOAUTH: &str = "NOAUTH Authentication required.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub const CLIENT_NAME_INVALID: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";
pub const NO_SUCH_CLIENT: &str = "ERR No such client";

/// Sent (then the connection is closed) to a non-loopback client while protected mode is
/// on and the default user has no password. Redis's text, typo included.
pub const PROTECTED_MODE_DENIED: &str = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

// ---- protocol ------------------------------------------------------------------------
pub const PROTO_INVALID_MULTIBULK_LEN: &str = "ERR Protocol error: invalid multibulk length";
pub const PROTO_INVALID_BULK_LEN: &str = "ERR Protocol error: invalid bulk length";
pub const PROTO_BIG_MBULK_COUNT: &str = "ERR Protocol error: too big mbulk count string";
pub const PROTO_BIG_BULK_COUNT: &str = "ERR Protocol error: too big bulk count string";
pub const PROTO_BIG_INLINE: &str = "ERR Protocol error: too big inline request";
pub const PROTO_UNBALANCED_QUOTES: &str = "ERR Protocol error: unbalanced quotes in request";
pub const PROTO_UNAUTH_MULTIBULK: &str = "ERR Protocol error: unauthenticated multibulk length";
pub const PROTO_UNAUTH_BULK: &str = "ERR Protocol error: unauthenticated bulk length";

// ---- server / introspection ----------------------------------------------------------
/// The text Redis 7.0 sends for DEBUG when `enable-debug-command` refuses it (`no`, or
/// `local` from a remote peer).
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
pub const GETKEYS_INVALID_COMMAND: &str = "ERR Invalid command specified";
pub const GETKEYS_NO_KEYS: &str = "ERR The command has no key arguments";
pub const GETKEYS_INVALID_ARITY: &str = "ERR Invalid number of arguments specified for command";
pub const GETKEYS_INVALID_ARGUMENTS: &str = "ERR Invalid arguments specified for command";
pub const CLIENT_INVALID_ID: &str = "ERR Invalid client ID";
pub const CLIENT_ID_NOT_POSITIVE: &str = "ERR client-id should be greater than 0";
pub const CLIENT_PAUSE_TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
pub const CLIENT_PAUSE_MODE: &str = "ERR CLIENT PAUSE mode must be WRITE or ALL";
pub const NO_SHUTDOWN_IN_PROGRESS: &str = "ERR No shutdown in progress.";
pub const CONFIG_NO_FILE: &str = "ERR The server is running without a config file";
pub const CONFIG_REWRITE_UNSUPPORTED: &str =
    "ERR Rewriting config file: not supported by shoal yet";
/// SHUTDOWN could not save the dataset (and FORCE was not given).
pub const SHUTDOWN_SAVE_FAILED: &str = "ERR Errors trying to SHUTDOWN. Check logs.";
pub const FUNCTION_FLUSH_MODE: &str = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
pub const SCRIPT_FLUSH_MODE: &str = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
/// SLOWLOG GET with a count that is not an integer of at least -1.
pub const SLOWLOG_COUNT: &str = "ERR count should be greater than or equal to -1";

use crate::protocol::reply::Reply;

/// `strerror` text for an I/O error (Rust appends " (os error N)"; Redis does not).
pub fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// CONFIG SET's refusal of one parameter; the whole CONFIG SET is undone.
pub fn config_set_failed(name: &str, problem: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {problem}")
}

/// CONFIG SET maxclients beyond what the open-files limit allows.
pub fn too_many_clients_for_the_os(fits: u64) -> String {
    format!(
        "The operating system is not able to handle the specified number of clients, try with {fits}"
    )
}

/// `ERR wrong number of arguments for 'get' command` (name lowercased, subcommands as
/// `config|get`).
pub fn wrong_arity(r: &mut Reply, full_name: &str) {
    r.error_fmt(format_args!(
        "ERR wrong number of arguments for '{full_name}' command"
    ));
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `: as Redis, the name
/// is cut at 128 bytes and the quoted arguments stop once their text reaches 128 bytes.
pub fn unknown_command<'a>(r: &mut Reply, name: &[u8], args: impl Iterator<Item = &'a [u8]>) {
    const ARGS_TEXT_BYTES_MAX: usize = 128;
    r.error_with(|buf| {
        buf.extend_from_slice(b"ERR unknown command '");
        push_truncated(buf, name);
        buf.extend_from_slice(b"', with args beginning with: ");
        let args_start = buf.len();
        for arg in args {
            let used = buf.len() - args_start;
            if used >= ARGS_TEXT_BYTES_MAX {
                break;
            }
            buf.push(b'\'');
            push_clean(buf, &arg[..arg.len().min(ARGS_TEXT_BYTES_MAX - used)]);
            buf.extend_from_slice(b"' ");
        }
    });
}

/// `ERR unknown subcommand 'foo'. Try CONFIG HELP.`
pub fn unknown_subcommand(r: &mut Reply, sub: &[u8], container_upper: &str) {
    r.error_with(|buf| {
        buf.extend_from_slice(b"ERR unknown subcommand '");
        push_truncated(buf, sub);
        buf.extend_from_slice(b"'. Try ");
        buf.extend_from_slice(container_upper.as_bytes());
        buf.extend_from_slice(b" HELP.");
    });
}

/// `ERR No samples available for event 'foo'` (LATENCY GRAPH of an unknown event; the
/// name is echoed whole, as Redis does).
pub fn latency_no_samples(r: &mut Reply, event: &[u8]) {
    r.error_with(|buf| {
        buf.extend_from_slice(b"ERR No samples available for event '");
        push_clean(buf, event);
        buf.push(b'\'');
    });
}

/// `ERR invalid expire time in 'set' command`
pub fn invalid_expire(r: &mut Reply, cmd_lower: &str) {
    r.error_fmt(format_args!(
        "ERR invalid expire time in '{cmd_lower}' command"
    ));
}

/// `ERR Protocol error: expected '$', got 'X'`: X is the raw byte a bulk header started
/// with (CR and LF become spaces, as in every Redis error reply).
pub fn protocol_expected_dollar(r: &mut Reply, got: u8) {
    r.error_with(|buf| {
        buf.extend_from_slice(b"ERR Protocol error: expected '$', got '");
        push_truncated(buf, &[got]);
        buf.push(b'\'');
    });
}

/// `ERR Unsupported option foo` (EXPIRE family). Redis echoes the whole option, with
/// CR and LF turned into spaces by its error formatter.
pub fn unsupported_option(r: &mut Reply, opt: &[u8]) {
    r.error_with(|buf| {
        buf.extend_from_slice(b"ERR Unsupported option ");
        push_clean(buf, opt);
    });
}

/// Redis truncates echoed user input to 128 bytes in error messages; newlines and other
/// control bytes would break the simple-string framing, so they become spaces.
fn push_truncated(buf: &mut Vec<u8>, bytes: &[u8]) {
    const ECHO_BYTES_MAX: usize = 128;
    push_clean(buf, &bytes[..bytes.len().min(ECHO_BYTES_MAX)]);
}

fn push_clean(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend(
        bytes
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
}

// ---- hash ----
pub const HASH_VALUE_NOT_INTEGER: &str = "ERR hash value is not an integer";
/// HRANDFIELD's / SRANDMEMBER's / ZRANDMEMBER's count is a `long` in
/// `-LONG_MAX..=LONG_MAX`.
pub const COUNT_OUT_OF_LONG_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// HRANDFIELD ... WITHVALUES with a count beyond +-LONG_MAX/2.
pub const VALUE_OUT_OF_RANGE: &str = "ERR value is out of range";
/// shoal's own limit (Redis would try to build the reply): see
/// `commands::hash::HRANDFIELD_PICKS_MAX`.
pub const HRANDFIELD_TOO_MANY: &str =
    "ERR HRANDFIELD count is too large for shoal (at most 10000000 fields per reply)";
// ---- set ----
pub const NUMKEYS_TOO_MANY: &str = "ERR Number of keys can't be greater than number of args";
pub const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
pub const SORT_SCORE_NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";
// ---- list ----
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
pub const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
pub const LPOS_RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
pub const LPOS_COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
pub const LPOS_MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
pub const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
pub const COUNT_NOT_POSITIVE: &str = "ERR count should be greater than 0";
pub const CLIENT_UNBLOCK_REASON: &str = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
// ---- zset ----------------------------------------------------------------------------
pub const ZADD_NX_XX: &str = "ERR XX and NX options at the same time are not compatible";
pub const ZADD_GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
pub const ZADD_INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
pub const ZSET_NAN: &str = "ERR resulting score is not a number (NaN)";
pub const ZSET_MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
pub const ZSET_MIN_MAX_NOT_STRING_RANGE: &str = "ERR min or max not valid string range item";
pub const ZRANGE_LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub const ZRANGE_WITHSCORES_BYLEX: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub const ZSET_WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";

// ---- persistence ----
pub const SAVE_FAILED: &str = "ERR";
pub const DEBUG_RELOAD_OPTIONS: &str =
    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
pub const DEBUG_RELOAD_FAILED: &str = "ERR Error trying to load the RDB dump";
pub const BGSAVE_IN_PROGRESS: &str = "ERR Background save already in progress";
/// Writes (and PING) after a failed background save, with `stop-writes-on-bgsave-error`.
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
/// Commands not flagged `loading` while the dataset loads at startup.
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";
pub const DUMP_PAYLOAD_INVALID: &str = "ERR DUMP payload version or checksum are wrong";
pub const BAD_DATA_FORMAT: &str = "ERR Bad data format";
pub const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub const INVALID_TTL: &str = "ERR Invalid TTL value, must be >= 0";
pub const INVALID_IDLETIME: &str = "ERR Invalid IDLETIME value, must be >= 0";
pub const INVALID_FREQ: &str = "ERR Invalid FREQ value, must be >= 0 and <= 255";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::{Reply, RespVersion};

    fn render(f: impl FnOnce(&mut Reply)) -> String {
        let mut buf = Vec::new();
        f(&mut Reply::new(&mut buf, RespVersion::Resp2));
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn formatted_errors_match_redis() {
        assert_eq!(
            config_set_failed("maxclients", &too_many_clients_for_the_os(268)),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 268"
        );
        assert_eq!(
            render(|r| wrong_arity(r, "get")),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            render(|r| latency_no_samples(r, b"cmd")),
            "-ERR No samples available for event 'cmd'\r\n"
        );
        assert_eq!(
            render(|r| unknown_command(r, b"foo", [&b"a"[..], b"b"].into_iter())),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
        );
        let long = [b'x'; 100];
        assert_eq!(
            render(|r| unknown_command(r, b"foo", [&long[..], &long[..], b"z"].into_iter())),
            format!(
                "-ERR unknown command 'foo', with args beginning with: '{}' '{}' \r\n",
                "x".repeat(100),
                "x".repeat(25)
            )
        );
        assert_eq!(
            render(|r| unknown_command(r, b"foo", std::iter::empty())),
            "-ERR unknown command 'foo', with args beginning with: \r\n"
        );
        assert_eq!(
            render(|r| unknown_subcommand(r, b"x", "CONFIG")),
            "-ERR unknown subcommand 'x'. Try CONFIG HELP.\r\n"
        );
        assert_eq!(
            render(|r| unsupported_option(r, b"a\nb")),
            "-ERR Unsupported option a b\r\n"
        );
        assert_eq!(
            render(|r| invalid_expire(r, "set")),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(
            render(|r| protocol_expected_dollar(r, b'f')),
            "-ERR Protocol error: expected '$', got 'f'\r\n"
        );
        assert_eq!(
            render(|r| protocol_expected_dollar(r, b'\r')),
            "-ERR Protocol error: expected '$', got ' '\r\n"
        );
    }

    #[test]
    fn persistence_gate_errors_match_redis() {
        // Byte for byte what redis-server 7.0.15 replies.
        assert_eq!(
            render(|r| r.error(MISCONF)),
            "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable \
             to persist to disk. Commands that may modify the data set are disabled, because \
             this instance is configured to report errors during writes if RDB snapshotting \
             fails (stop-writes-on-bgsave-error option). Please check the Redis logs for \
             details about the RDB error.\r\n"
        );
        assert_eq!(
            render(|r| r.error(LOADING)),
            "-LOADING Redis is loading the dataset in memory\r\n"
        );
        assert_eq!(render(|r| r.error(SAVE_FAILED)), "-ERR\r\n");
    }

    #[test]
    fn fixed_errors_are_single_line_with_a_code() {
        for e in [
            SYNTAX,
            WRONGTYPE,
            NOT_INTEGER,
            NOT_FLOAT,
            OVERFLOW,
            NO_SUCH_KEY,
            OOM,
            NOAUTH,
            WRONGPASS,
            NOPROTO,
            PROTO_INVALID_BULK_LEN,
            DEBUG_NOT_ALLOWED,
            MISCONF,
            LOADING,
        ] {
            assert!(!e.contains('\r') && !e.contains('\n'));
            let code = e.split(' ').next().unwrap();
            assert!(code.chars().all(|c| c.is_ascii_uppercase()), "{e}");
        }
    }
}
