//! The resumable request parser: it turns the bytes at the head of a connection's query
//! buffer into one command's argument ranges, with Redis 7.0's exact acceptance rules
//! and error strings (`processMultibulkBuffer` / `processInlineBuffer` in networking.c).
//! It owns the parse state between reads, the argument-range vector and the scratch
//! buffer for unescaped inline arguments; it never owns or copies the query buffer.
//!
//! Resumability: a call that returns [`ParseStatus::Incomplete`] records how far it got
//! (the next unparsed offset, the arguments so far, how far the current line has been
//! searched, a pending bulk length), so a command arriving in many pieces is scanned
//! once in total. Bulk payloads are skipped by length, never scanned.
//!
//! Redis quirks kept on purpose, because clients may rely on what Redis accepts:
//! - Count and bulk-length lines end at the first `\r`; the byte after it is skipped
//!   unchecked, and so are the two bytes after each bulk payload.
//! - Redis searches lines with `strchr`, so a NUL byte hides the rest of the buffer:
//!   such a line never ends and fails as too long once the buffer passes the limit.
//! - Numbers follow `string2ll`: no `+`, no spaces, no leading zeros, no `-0`.
//! - A request not starting with `*` is inline, whatever its first byte.
//!
//! One deliberate difference: a line (inline request, count or bulk-length line) whose
//! terminator is not within the first `inline_bytes_max + 1` bytes is always too long.
//! Redis only checks when the buffer holds no terminator at all, so its verdict on a
//! long line depends on how the bytes were split into reads; ours does not.

use super::args::ArgRange;
use crate::errors;
use crate::util::splitargs::split_args_with;

/// Limits applied while parsing; the `_max` values are inclusive.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// proto-max-bulk-len.
    pub bulk_bytes_max: u64,
    /// Largest accepted multibulk count.
    pub multibulk_args_max: u64,
    /// Longest inline request or count line without a newline (Redis: 64 KiB).
    pub inline_bytes_max: usize,
    /// Unauthenticated clients get the tighter limits (10 args, 16 KiB bulks).
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            bulk_bytes_max: 512 * 1024 * 1024,
            multibulk_args_max: i32::MAX as u64,
            inline_bytes_max: 64 * 1024,
            authenticated: true,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ParseStatus {
    /// A complete command of `consumed` bytes; `args()` holds its arguments.
    Complete { consumed: usize },
    /// An empty request (a blank inline line, `*0`, `*-1`): skip `consumed` bytes.
    Empty { consumed: usize },
    /// More bytes are needed; the state so far is kept.
    Incomplete,
    /// A protocol error: reply with this text, then close the connection.
    Error(&'static str),
    /// A bulk header started with this byte instead of `$`: reply with
    /// [`errors::protocol_expected_dollar`] (`ERR Protocol error: expected '$', got 'X'`),
    /// then close the connection.
    ErrorExpectedDollar(u8),
}

/// Unauthenticated clients may send at most this many arguments per command.
const UNAUTH_ARGS_MAX: i64 = 10;
/// Unauthenticated clients may send bulks of at most this many bytes.
const UNAUTH_BULK_BYTES_MAX: u64 = 16 * 1024;
/// A declared count reserves at most this many argument slots up front; the rest grow
/// as arguments actually arrive, so a lying count cannot allocate.
const ARGS_RESERVE_MAX: usize = 1024;
/// Capacity kept across commands; a huge command's vectors shrink back afterwards so an
/// idle connection does not pin its largest request's memory.
const ARGS_RETAINED_MAX: usize = 1024;
const SCRATCH_RETAINED_BYTES_MAX: usize = 4 * 1024;

/// Where the parser stands in the current command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Nothing of the current command has been examined.
    #[default]
    Start,
    /// Searching for the `\n` that ends an inline request.
    Inline,
    /// Searching for the `\r` that ends the `*<count>` line.
    Count,
    /// Searching for the `\r` that ends a `$<len>` line at `pos`.
    BulkHeader,
    /// Waiting for `len` payload bytes plus two trailer bytes at `pos`.
    BulkData { len: usize },
    /// The last call returned a final status; the next call starts a new command.
    Done,
}

/// How the search for a line terminator went.
enum Line {
    /// The terminator is at this offset.
    End(usize),
    /// Not found yet, and the line may still end in time.
    Pending,
    /// Not within the limit: a protocol error.
    TooLong,
}

#[derive(Default)]
pub struct RequestParser {
    args: Vec<ArgRange>,
    inline: Vec<u8>,
    inline_mode: bool,
    phase: Phase,
    /// Offset of the first unparsed byte: the start of the line or payload being read.
    pos: usize,
    /// Offset where the search for the current line's terminator resumes, so that a line
    /// arriving in pieces is scanned once.
    scan: usize,
    /// Arguments of the current multibulk not yet read.
    args_left: u64,
    /// Bytes examined by line searches, for the linear-work test.
    #[cfg(test)]
    scanned_bytes: usize,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the command starting at `buf[0]`. Between calls that return `Incomplete`
    /// the caller may only append to `buf` (never drop or move its first bytes). After
    /// any other status the next call starts a new command at the new `buf[0]`.
    pub fn parse(&mut self, buf: &[u8], limits: &Limits) -> ParseStatus {
        if self.phase == Phase::Done {
            self.reset();
        }
        debug_assert!(
            buf.len() >= self.scan,
            "the buffer shrank between Incomplete parses"
        );
        // A shrunken buffer breaks the contract; starting over beats indexing past it.
        if buf.len() < self.scan {
            self.reset();
        }
        let status = match self.phase {
            Phase::Start => self.start(buf, limits),
            Phase::Inline => self.inline_request(buf, limits),
            _ => self.multibulk(buf, limits),
        };
        if status != ParseStatus::Incomplete {
            self.phase = Phase::Done;
        }
        status
    }

    /// The arguments of the last complete command, as ranges into [`Self::arg_bytes`].
    pub fn args(&self) -> &[ArgRange] {
        &self.args
    }

    /// The bytes the argument ranges index: `buf` itself for multibulk requests, the
    /// parser's unescaped copy for inline ones.
    pub fn arg_bytes<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        if self.inline_mode { &self.inline } else { buf }
    }

    /// While a bulk payload is awaited after `Incomplete`: the buffer length (from the
    /// command's first byte) at which it will be complete, trailer included. Lets the
    /// connection size its next read and skip re-parsing until then; the length is
    /// client-declared (up to `bulk_bytes_max`), so cap any reservation made from it.
    pub fn pending_bulk_end(&self) -> Option<usize> {
        match self.phase {
            Phase::BulkData { len } => Some(self.pos + len + 2),
            _ => None,
        }
    }

    /// Heap bytes the parser holds (argument ranges and inline scratch), for client
    /// memory accounting. Stays proportional to the command being parsed, and drops
    /// back to a few KiB once a large command is done.
    pub fn allocated_bytes(&self) -> usize {
        self.args.capacity() * std::mem::size_of::<ArgRange>() + self.inline.capacity()
    }

    fn reset(&mut self) {
        self.args.clear();
        self.args.shrink_to(ARGS_RETAINED_MAX);
        self.inline.clear();
        self.inline.shrink_to(SCRATCH_RETAINED_BYTES_MAX);
        self.inline_mode = false;
        self.phase = Phase::Start;
        self.pos = 0;
        self.scan = 0;
        self.args_left = 0;
    }

    fn start(&mut self, buf: &[u8], limits: &Limits) -> ParseStatus {
        match buf.first() {
            None => ParseStatus::Incomplete,
            Some(b'*') => {
                self.phase = Phase::Count;
                self.multibulk(buf, limits)
            }
            Some(_) => {
                self.phase = Phase::Inline;
                self.inline_mode = true;
                self.inline_request(buf, limits)
            }
        }
    }

    /// Searches for `term` ending the line that starts at `self.pos`, resuming where
    /// the previous search stopped and never looking past `line_bytes_max + 1` bytes.
    fn find_line(&mut self, buf: &[u8], term: u8, line_bytes_max: usize) -> Line {
        let limit = buf
            .len()
            .min(self.pos.saturating_add(line_bytes_max).saturating_add(1));
        if self.scan < limit {
            let window = &buf[self.scan..limit];
            // Stopping at NUL (and staying there) mirrors Redis's strchr.
            let found = window.iter().position(|&b| b == term || b == 0);
            let advanced = found.unwrap_or(window.len());
            self.note_scanned(advanced);
            self.scan += advanced;
        }
        if self.scan < limit && buf[self.scan] == term {
            Line::End(self.scan)
        } else if buf.len() - self.pos > line_bytes_max {
            Line::TooLong
        } else {
            Line::Pending
        }
    }

    /// Like [`Self::find_line`] for a `\r`-ended line, which Redis only accepts once
    /// the byte after the `\r` (normally `\n`, but never checked) has arrived too.
    fn find_crlf_line(&mut self, buf: &[u8], limits: &Limits) -> Line {
        match self.find_line(buf, b'\r', limits.inline_bytes_max) {
            Line::End(cr) if cr + 1 >= buf.len() => Line::Pending,
            line => line,
        }
    }

    fn inline_request(&mut self, buf: &[u8], limits: &Limits) -> ParseStatus {
        let newline = match self.find_line(buf, b'\n', limits.inline_bytes_max) {
            Line::End(newline) => newline,
            Line::Pending => return ParseStatus::Incomplete,
            Line::TooLong => return ParseStatus::Error(errors::PROTO_BIG_INLINE),
        };
        let line = &buf[..newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let args = &mut self.args;
        // Offsets fit in u32: the line is at most `inline_bytes_max` long, and a limit
        // above 4 GiB would be absurd for a line that must sit in memory whole.
        let split = split_args_with(line, &mut self.inline, |start, end| {
            args.push(ArgRange {
                start: start as u32,
                end: end as u32,
            })
        });
        if split.is_none() {
            return ParseStatus::Error(errors::PROTO_UNBALANCED_QUOTES);
        }
        let consumed = newline + 1;
        if self.args.is_empty() {
            ParseStatus::Empty { consumed }
        } else {
            ParseStatus::Complete { consumed }
        }
    }

    fn multibulk(&mut self, buf: &[u8], limits: &Limits) -> ParseStatus {
        if self.phase == Phase::Count
            && let Err(status) = self.count_line(buf, limits)
        {
            return status;
        }
        loop {
            if let Phase::BulkData { len } = self.phase {
                if buf.len() - self.pos < len + 2 {
                    return ParseStatus::Incomplete;
                }
                self.push_arg(len);
            } else if self.args_left == 0 {
                return ParseStatus::Complete { consumed: self.pos };
            } else if let Err(status) = self.bulk_header(buf, limits) {
                return status;
            }
        }
    }

    /// Reads `*<count>\r\n`; on success moves to the first bulk header. `Err` carries
    /// the status to return now (including `Empty` for a count of zero or less).
    fn count_line(&mut self, buf: &[u8], limits: &Limits) -> Result<(), ParseStatus> {
        let cr = match self.find_crlf_line(buf, limits) {
            Line::End(cr) => cr,
            Line::Pending => return Err(ParseStatus::Incomplete),
            Line::TooLong => return Err(ParseStatus::Error(errors::PROTO_BIG_MBULK_COUNT)),
        };
        let count = match string2ll(&buf[1..cr]) {
            Some(n) if n <= 0 || (n as u64) <= limits.multibulk_args_max => n,
            _ => return Err(ParseStatus::Error(errors::PROTO_INVALID_MULTIBULK_LEN)),
        };
        if count > UNAUTH_ARGS_MAX && !limits.authenticated {
            return Err(ParseStatus::Error(errors::PROTO_UNAUTH_MULTIBULK));
        }
        self.pos = cr + 2;
        self.scan = self.pos;
        if count <= 0 {
            return Err(ParseStatus::Empty { consumed: self.pos });
        }
        self.args_left = count as u64;
        self.args.reserve(ARGS_RESERVE_MAX.min(count as usize));
        self.phase = Phase::BulkHeader;
        Ok(())
    }

    /// Reads `$<len>\r\n` at `pos`; on success moves to its payload.
    fn bulk_header(&mut self, buf: &[u8], limits: &Limits) -> Result<(), ParseStatus> {
        let cr = match self.find_crlf_line(buf, limits) {
            Line::End(cr) => cr,
            Line::Pending => return Err(ParseStatus::Incomplete),
            Line::TooLong => return Err(ParseStatus::Error(errors::PROTO_BIG_BULK_COUNT)),
        };
        let first = buf[self.pos];
        if first != b'$' {
            return Err(ParseStatus::ErrorExpectedDollar(first));
        }
        let payload = cr + 2;
        let len = match string2ll(&buf[self.pos + 1..cr]) {
            // Argument ranges are u32 offsets, so a command cannot extend past 4 GiB;
            // only a raised proto-max-bulk-len can get there.
            Some(n) if n >= 0 && n as u64 <= limits.bulk_bytes_max && fits_u32(payload, n) => {
                n as u64
            }
            _ => return Err(ParseStatus::Error(errors::PROTO_INVALID_BULK_LEN)),
        };
        if len > UNAUTH_BULK_BYTES_MAX && !limits.authenticated {
            return Err(ParseStatus::Error(errors::PROTO_UNAUTH_BULK));
        }
        self.pos = payload;
        self.scan = payload;
        self.phase = Phase::BulkData { len: len as usize };
        Ok(())
    }

    /// Records the complete payload of `len` bytes at `pos` and skips its trailer.
    fn push_arg(&mut self, len: usize) {
        self.args.push(ArgRange {
            start: self.pos as u32,
            end: (self.pos + len) as u32,
        });
        self.pos += len + 2;
        self.scan = self.pos;
        self.args_left -= 1;
        self.phase = Phase::BulkHeader;
    }

    #[cfg(test)]
    fn note_scanned(&mut self, bytes: usize) {
        self.scanned_bytes += bytes;
    }

    #[cfg(not(test))]
    fn note_scanned(&mut self, _bytes: usize) {}
}

/// Whether a payload of `len` bytes at `offset` ends within u32 offsets.
fn fits_u32(offset: usize, len: i64) -> bool {
    (offset as u64).saturating_add(len as u64) <= u32::MAX as u64
}

/// Redis `string2ll`: a strict base-10 i64 (no sign but `-`, no spaces, no leading
/// zeros, `-0` rejected).
fn string2ll(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    // 19 digits always fit a u64; a 20th would overflow i64 anyway.
    if !matches!(digits.first(), Some(b'1'..=b'9')) || digits.len() > 19 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(d - b'0');
    }
    if negative {
        // -(2^63) is the one value whose magnitude does not fit an i64.
        (value <= i64::MAX as u64 + 1).then(|| (value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::*;
    use ParseStatus::*;

    const K: usize = 64 * 1024;

    fn unauth() -> Limits {
        Limits {
            authenticated: false,
            ..Limits::default()
        }
    }

    /// Parses `input` whole and returns the status of the first command.
    fn first(input: &[u8], limits: &Limits) -> ParseStatus {
        RequestParser::new().parse(input, limits)
    }

    fn args_of(p: &RequestParser, buf: &[u8]) -> Vec<Vec<u8>> {
        let bytes = p.arg_bytes(buf);
        p.args()
            .iter()
            .map(|r| bytes[r.start as usize..r.end as usize].to_vec())
            .collect()
    }

    /// Feeds `input` in the given piece sizes the way a connection does (append, parse
    /// from the current command start, advance) and returns every command, with `None`
    /// for empty requests. Stops at the first error.
    /// One parsed request: its arguments, or `None` for an empty one.
    type Command = Option<Vec<Vec<u8>>>;

    fn run(input: &[u8], pieces: &[usize]) -> (Vec<Command>, Option<ParseStatus>) {
        let limits = Limits::default();
        let mut p = RequestParser::new();
        let mut buf = Vec::new();
        let mut start = 0;
        let mut fed = 0;
        let mut commands = Vec::new();
        let mut sizes = pieces.iter().copied().cycle();
        while fed < input.len() {
            let n = sizes.next().unwrap().clamp(1, input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
            loop {
                match p.parse(&buf[start..], &limits) {
                    Complete { consumed } => {
                        commands.push(Some(args_of(&p, &buf[start..])));
                        start += consumed;
                    }
                    Empty { consumed } => {
                        commands.push(None);
                        start += consumed;
                    }
                    Incomplete => break,
                    error => return (commands, Some(error)),
                }
            }
        }
        (commands, None)
    }

    fn cmd(args: &[&[u8]]) -> Command {
        Some(args.iter().map(|a| a.to_vec()).collect())
    }

    #[test]
    fn multibulk_command() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        let mut p = RequestParser::new();
        assert_eq!(
            p.parse(input, &Limits::default()),
            Complete {
                consumed: input.len()
            }
        );
        assert_eq!(args_of(&p, input), cmd(&[b"SET", b"k", b""]).unwrap());
        assert_eq!(p.args()[0], ArgRange { start: 8, end: 11 });
    }

    #[test]
    fn invalid_multibulk_lengths() {
        for input in [
            &b"*abc\r\n"[..],
            b"*-0\r\n",
            b"*+1\r\n",
            b"*01\r\n",
            b"* 1\r\n",
            b"*1 \r\n",
            b"*\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
            // The count line ends at the first \r, wherever it is.
            b"*1\n$4\r\nPING\r\n",
        ] {
            assert_eq!(
                first(input, &Limits::default()),
                Error(PROTO_INVALID_MULTIBULK_LEN),
                "{input:?}"
            );
        }
        assert_eq!(first(b"*2147483647\r\n", &Limits::default()), Incomplete);
    }

    #[test]
    fn non_positive_counts_are_empty() {
        let limits = Limits::default();
        assert_eq!(first(b"*0\r\nPING\r\n", &limits), Empty { consumed: 4 });
        assert_eq!(first(b"*-1\r\n", &limits), Empty { consumed: 5 });
        assert_eq!(first(b"*-5\r\nPING\r\n", &limits), Empty { consumed: 5 });
        assert_eq!(first(b"*-20\r\n", &unauth()), Empty { consumed: 6 });
    }

    #[test]
    fn invalid_bulk_lengths() {
        for input in [
            &b"*3\r\n$3\r\nSET\r\n$1x\r\n"[..],
            b"*1\r\n$04\r\nPING\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$+4\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                first(input, &Limits::default()),
                Error(PROTO_INVALID_BULK_LEN),
                "{input:?}"
            );
        }
        assert_eq!(
            first(b"*1\r\n$536870912\r\n", &Limits::default()),
            Incomplete
        );
    }

    #[test]
    fn bulk_ranges_must_fit_u32_offsets() {
        let limits = Limits {
            bulk_bytes_max: u64::MAX,
            ..Limits::default()
        };
        // The payload starts at offset 17, so it may be u32::MAX - 17 bytes long.
        let input = b"*1\r\n$4294967279\r\n";
        assert_eq!(first(input, &limits), Error(PROTO_INVALID_BULK_LEN));
        assert_eq!(first(b"*1\r\n$4294967278\r\n", &limits), Incomplete);
    }

    #[test]
    fn expected_dollar_carries_the_byte() {
        let limits = Limits::default();
        assert_eq!(first(b"*1\r\nfoo\r\n", &limits), ErrorExpectedDollar(b'f'));
        assert_eq!(first(b"*1\r\n\r\n", &limits), ErrorExpectedDollar(b'\r'));
        assert_eq!(first(b"*1\r\n\x80\r\n", &limits), ErrorExpectedDollar(0x80));
        // Like Redis, the header line must be whole before its first byte is judged.
        assert_eq!(first(b"*1\r\nfoo", &limits), Incomplete);
        assert_eq!(first(b"*1\r\nfoo\r", &limits), Incomplete);
    }

    #[test]
    fn too_long_lines() {
        let limits = Limits::default();
        assert_eq!(first(&[b'a'; K + 1], &limits), Error(PROTO_BIG_INLINE));
        assert_eq!(first(&[b'a'; K], &limits), Incomplete);
        let mut count = vec![b'*'];
        count.resize(K, b'1');
        assert_eq!(first(&count, &limits), Incomplete);
        count.push(b'1');
        assert_eq!(first(&count, &limits), Error(PROTO_BIG_MBULK_COUNT));
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.resize(4 + K, b'1');
        assert_eq!(first(&bulk, &limits), Incomplete);
        bulk.push(b'1');
        assert_eq!(first(&bulk, &limits), Error(PROTO_BIG_BULK_COUNT));
        // A terminator beyond the limit does not rescue a line, however it arrives.
        let mut inline = vec![b'a'; K + 1];
        inline.extend_from_slice(b"\r\n");
        assert_eq!(first(&inline, &limits), Error(PROTO_BIG_INLINE));
        let mut inline = vec![b'a'; K];
        inline.push(b'\n');
        assert_eq!(first(&inline, &limits), Complete { consumed: K + 1 });
    }

    #[test]
    fn nul_stalls_a_line_until_it_is_too_long() {
        let limits = Limits::default();
        for (prefix, error) in [
            (&b"PING \0\r\n"[..], PROTO_BIG_INLINE),
            (b"*1\0\r\n", PROTO_BIG_MBULK_COUNT),
            (b"*1\r\n$1\0\r\n", PROTO_BIG_BULK_COUNT),
        ] {
            let mut input = prefix.to_vec();
            assert_eq!(first(&input, &limits), Incomplete, "{prefix:?}");
            input.resize(K + 8, b'\n');
            assert_eq!(first(&input, &limits), Error(error), "{prefix:?}");
        }
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = unauth();
        assert_eq!(first(b"*11\r\n", &limits), Error(PROTO_UNAUTH_MULTIBULK));
        assert_eq!(first(b"*10\r\n", &limits), Incomplete);
        assert_eq!(
            first(b"*1\r\n$16385\r\n", &limits),
            Error(PROTO_UNAUTH_BULK)
        );
        assert_eq!(first(b"*1\r\n$16384\r\n", &limits), Incomplete);
        // Malformed numbers are reported as such first, as Redis does.
        assert_eq!(
            first(b"*11x\r\n", &limits),
            Error(PROTO_INVALID_MULTIBULK_LEN)
        );
        assert_eq!(
            first(b"*2147483648\r\n", &limits),
            Error(PROTO_INVALID_MULTIBULK_LEN)
        );
        assert_eq!(
            first(b"*1\r\n$16385x\r\n", &limits),
            Error(PROTO_INVALID_BULK_LEN)
        );
        assert_eq!(
            first(b"*1\r\n$536870913\r\n", &limits),
            Error(PROTO_INVALID_BULK_LEN)
        );
        assert!(matches!(first(b"AUTH pw\r\n", &limits), Complete { .. }));
    }

    #[test]
    fn redis_skips_the_bytes_after_cr_and_after_payloads_unchecked() {
        let (commands, error) = run(
            b"*1\rX$4\r\nPING\r\n*1\r\n$4\r\nPINGxx*1\r\n$1\r\na\r\n",
            &[1000],
        );
        assert_eq!(error, None);
        assert_eq!(
            commands,
            vec![cmd(&[b"PING"]), cmd(&[b"PING"]), cmd(&[b"a"])]
        );
    }

    #[test]
    fn inline_requests() {
        let limits = Limits::default();
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"PING\n", &limits), Complete { consumed: 5 });
        assert_eq!(args_of(&p, b"PING\n"), cmd(&[b"PING"]).unwrap());
        assert_eq!(p.parse(b"\r\n", &limits), Empty { consumed: 2 });
        assert_eq!(p.parse(b"\n", &limits), Empty { consumed: 1 });
        assert_eq!(
            p.parse(b"  \t \r\nPING\r\n", &limits),
            Empty { consumed: 6 }
        );
        assert_eq!(p.parse(b"PING", &limits), Incomplete);
        assert_eq!(p.parse(b"PING\r", &limits), Incomplete);
        assert_eq!(p.parse(b"PING\r\n", &limits), Complete { consumed: 6 });
        // Only a `*` first byte means multibulk.
        assert_eq!(p.parse(b"$1\r\n", &limits), Complete { consumed: 4 });
        assert_eq!(args_of(&p, b"$1\r\n"), cmd(&[b"$1"]).unwrap());
    }

    #[test]
    fn inline_quoting() {
        let input = b"SET \"a b\\x41\\n\" 'it\\'s' x\"y z\"\r\n";
        let (commands, error) = run(input, &[1000]);
        assert_eq!(error, None);
        assert_eq!(commands, vec![cmd(&[b"SET", b"a bA\n", b"it's", b"xy z"])]);
        let limits = Limits::default();
        for bad in [&b"ECHO \"abc\r\n"[..], b"ECHO \"a\"b\r\n", b"ECHO 'a\n"] {
            assert_eq!(
                first(bad, &limits),
                Error(PROTO_UNBALANCED_QUOTES),
                "{bad:?}"
            );
        }
    }

    const PIPELINE: &[u8] = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n\
        PING\r\n\
        *0\r\n\
        SET k \"v v\"\n\
        \r\n\
        *3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n\
        *1\r\n$4\r\nPING\r\n";

    fn pipeline_commands() -> Vec<Command> {
        vec![
            cmd(&[b"ECHO", b"hello"]),
            cmd(&[b"PING"]),
            None,
            cmd(&[b"SET", b"k", b"v v"]),
            None,
            cmd(&[b"SET", b"key", b""]),
            cmd(&[b"PING"]),
        ]
    }

    #[test]
    fn pipeline_split_at_every_point() {
        assert_eq!(
            run(PIPELINE, &[PIPELINE.len()]),
            (pipeline_commands(), None)
        );
        for split in 1..PIPELINE.len() {
            let pieces = [split, PIPELINE.len()];
            assert_eq!(
                run(PIPELINE, &pieces),
                (pipeline_commands(), None),
                "split {split}"
            );
        }
        for size in 1..8 {
            assert_eq!(
                run(PIPELINE, &[size]),
                (pipeline_commands(), None),
                "size {size}"
            );
        }
    }

    #[test]
    fn big_mset_in_16k_pieces_is_linear() {
        const ARGS: usize = 500_000;
        let mut input = format!("*{}\r\n$4\r\nMSET\r\n", ARGS + 1).into_bytes();
        for i in 0..ARGS {
            let arg = format!("k{i}");
            input.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
        let limits = Limits::default();
        let mut p = RequestParser::new();
        let mut buf = Vec::new();
        let mut calls = 0;
        let mut status = Incomplete;
        for piece in input.chunks(16 * 1024) {
            assert_eq!(status, Incomplete);
            buf.extend_from_slice(piece);
            status = p.parse(&buf, &limits);
            calls += 1;
        }
        assert_eq!(
            status,
            Complete {
                consumed: input.len()
            }
        );
        assert_eq!(p.args().len(), ARGS + 1);
        assert_eq!(args_of(&p, &buf)[ARGS], b"k499999");
        assert!(calls > 100);
        // Every byte is searched at most once, however many calls it took.
        assert!(
            p.scanned_bytes <= input.len(),
            "scanned {} of {}",
            p.scanned_bytes,
            input.len()
        );
        // The next command starts afresh and the big vector is given back.
        assert_eq!(p.parse(b"PING\r\n", &limits), Complete { consumed: 6 });
        assert!(p.args.capacity() <= ARGS_RETAINED_MAX);
    }

    #[test]
    fn huge_declared_sizes_allocate_nothing_ahead() {
        let limits = Limits::default();
        let mut p = RequestParser::new();
        assert_eq!(
            p.parse(b"*2147483647\r\n$536870912\r\nab", &limits),
            Incomplete
        );
        assert!(p.args.capacity() <= ARGS_RESERVE_MAX);
        assert_eq!(p.pending_bulk_end(), Some(25 + 536870912 + 2));
    }

    #[test]
    fn small_commands_reuse_their_buffers() {
        let limits = Limits::default();
        let mut p = RequestParser::new();
        let multi = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
        let inline = b"SET k \"v\"\r\n";
        p.parse(multi, &limits);
        p.parse(inline, &limits);
        let before = (p.args.as_ptr(), p.inline.as_ptr());
        for _ in 0..100 {
            assert!(matches!(p.parse(multi, &limits), Complete { .. }));
            assert!(matches!(p.parse(inline, &limits), Complete { .. }));
        }
        assert_eq!((p.args.as_ptr(), p.inline.as_ptr()), before);
    }

    #[test]
    fn string2ll_matches_redis() {
        for (s, want) in [
            (&b"0"[..], Some(0)),
            (b"1", Some(1)),
            (b"-1", Some(-1)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"9223372036854775808", None),
            (b"-9223372036854775809", None),
            (b"18446744073709551616", None),
            (b"-0", None),
            (b"00", None),
            (b"01", None),
            (b"+1", None),
            (b"-", None),
            (b"", None),
            (b"1a", None),
            (b" 1", None),
        ] {
            assert_eq!(string2ll(s), want, "{s:?}");
        }
    }
}
