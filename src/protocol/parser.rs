//! Resumable RESP2 / inline request parser (placeholder interface; the full parser
//! replaces the body, keeping the API).

use super::args::ArgRange;

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
}

#[derive(Default)]
pub struct RequestParser {
    args: Vec<ArgRange>,
    inline: Vec<u8>,
    inline_mode: bool,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the command starting at `buf[0]`. Between calls that return `Incomplete`
    /// the caller may only append to `buf` (never drop or move its first bytes).
    pub fn parse(&mut self, buf: &[u8], _limits: &Limits) -> ParseStatus {
        self.args.clear();
        self.inline.clear();
        self.inline_mode = false;
        if buf.is_empty() {
            return ParseStatus::Incomplete;
        }
        if buf[0] != b'*' {
            let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                return ParseStatus::Incomplete;
            };
            let line = &buf[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.inline_mode = true;
            for part in line.split(|b| *b == b' ').filter(|p| !p.is_empty()) {
                let start = self.inline.len() as u32;
                self.inline.extend_from_slice(part);
                self.args.push(ArgRange {
                    start,
                    end: self.inline.len() as u32,
                });
            }
            return if self.args.is_empty() {
                ParseStatus::Empty { consumed: nl + 1 }
            } else {
                ParseStatus::Complete { consumed: nl + 1 }
            };
        }
        let mut pos = 0;
        let line = |pos: usize| -> Option<(i64, usize)> {
            let nl = buf[pos..].iter().position(|&b| b == b'\n')? + pos;
            let n = std::str::from_utf8(&buf[pos + 1..nl - 1])
                .ok()?
                .parse()
                .ok()?;
            Some((n, nl + 1))
        };
        let Some((count, next)) = line(pos) else {
            return ParseStatus::Incomplete;
        };
        pos = next;
        if count <= 0 {
            return ParseStatus::Empty { consumed: pos };
        }
        for _ in 0..count {
            if pos >= buf.len() {
                return ParseStatus::Incomplete;
            }
            let Some((len, next)) = line(pos) else {
                return ParseStatus::Incomplete;
            };
            let len = len as usize;
            if next + len + 2 > buf.len() {
                return ParseStatus::Incomplete;
            }
            self.args.push(ArgRange {
                start: next as u32,
                end: (next + len) as u32,
            });
            pos = next + len + 2;
        }
        ParseStatus::Complete { consumed: pos }
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
}
