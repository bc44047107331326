//! The reply writer: typed replies appended to a connection's output buffer, encoded as
//! RESP2 or RESP3 depending on what the client negotiated with HELLO.
//!
//! Where RESP3 has a richer type (null, map, set, double, boolean, verbatim string), the
//! RESP2 encoding is the one Redis 7.0 uses for the same reply, so handlers write each
//! reply once and never branch on the protocol version themselves. Nothing here
//! allocates beyond growing the caller's buffer.

use std::fmt;

/// The protocol version a connection speaks (HELLO 2 / HELLO 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RespVersion {
    #[default]
    Resp2,
    Resp3,
}

/// Appends encoded replies to a buffer.
pub struct Reply<'a> {
    buf: &'a mut Vec<u8>,
    version: RespVersion,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, version: RespVersion) -> Self {
        Reply { buf, version }
    }

    pub fn version(&self) -> RespVersion {
        self.version
    }

    pub fn is_resp3(&self) -> bool {
        self.version == RespVersion::Resp3
    }

    /// Direct access for callers that splice pre-encoded replies (batched hop results).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.buf
    }

    /// Bytes written so far (used to roll back a partially written reply).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `+text\r\n`; `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        debug_assert!(!text.contains(['\r', '\n']));
        self.buf.push(b'+');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `-text\r\n`; `text` starts with its code (`ERR ...`, `WRONGTYPE ...`).
    pub fn error(&mut self, text: &str) {
        debug_assert!(!text.contains(['\r', '\n']));
        errors_written::note(text.as_bytes());
        self.buf.push(b'-');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error whose text is formatted in place.
    pub fn error_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.error_with(|buf| {
            use std::io::Write;
            let _ = buf.write_fmt(args);
        });
    }

    /// An error whose text is written by `f` (which must not write CR or LF).
    pub fn error_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        self.buf.push(b'-');
        let start = self.buf.len();
        f(self.buf);
        errors_written::note(&self.buf[start..]);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, value: i64) {
        self.buf.push(b':');
        push_i64(self.buf, value);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, bytes: &[u8]) {
        self.buf.push(b'$');
        push_u64(self.buf, bytes.len() as u64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal text of `value` (GET of an integer-encoded value).
    pub fn bulk_i64(&mut self, value: i64) {
        let mut tmp = [0u8; 20];
        let text = format_i64(&mut tmp, value);
        self.bulk(text);
    }

    /// A bulk string formatted in place.
    pub fn bulk_fmt(&mut self, args: fmt::Arguments<'_>) {
        use std::io::Write;
        let mut tmp = Vec::new();
        let _ = tmp.write_fmt(args);
        self.bulk(&tmp);
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.version {
            RespVersion::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            RespVersion::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.version {
            RespVersion::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            RespVersion::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map of `len` pairs: `%len` in RESP3, a flat array of `2*len` in RESP2.
    pub fn map(&mut self, len: usize) {
        match self.version {
            RespVersion::Resp2 => self.header(b'*', len * 2),
            RespVersion::Resp3 => self.header(b'%', len),
        }
    }

    /// A set: `~len` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        match self.version {
            RespVersion::Resp2 => self.header(b'*', len),
            RespVersion::Resp3 => self.header(b'~', len),
        }
    }

    /// An out-of-band push: `>len` in RESP3, an array in RESP2.
    pub fn push(&mut self, len: usize) {
        match self.version {
            RespVersion::Resp2 => self.header(b'*', len),
            RespVersion::Resp3 => self.header(b'>', len),
        }
    }

    /// A double: `,text` in RESP3; in RESP2 a bulk string with the same text.
    /// `text` is already formatted by the caller's rules (`%.17g` for scores).
    pub fn double_text(&mut self, text: &[u8]) {
        match self.version {
            RespVersion::Resp2 => self.bulk(text),
            RespVersion::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, value: bool) {
        match self.version {
            RespVersion::Resp2 => self.int(value as i64),
            RespVersion::Resp3 => {
                self.buf
                    .extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" })
            }
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, format: &[u8; 3], text: &[u8]) {
        match self.version {
            RespVersion::Resp2 => self.bulk(text),
            RespVersion::Resp3 => {
                self.buf.push(b'=');
                push_u64(self.buf, text.len() as u64 + 4);
                self.buf.extend_from_slice(b"\r\n");
                self.buf.extend_from_slice(format);
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Appends an already encoded reply (for replies computed elsewhere).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn header(&mut self, tag: u8, len: usize) {
        self.buf.push(tag);
        push_u64(self.buf, len as u64);
        self.buf.extend_from_slice(b"\r\n");
    }
}

/// Writes the decimal text of `value` into `tmp` and returns it.
pub fn format_i64(tmp: &mut [u8; 20], value: i64) -> &[u8] {
    let negative = value < 0;
    let mut magnitude = value.unsigned_abs();
    let mut pos = tmp.len();
    loop {
        pos -= 1;
        tmp[pos] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        // i64::MIN has 19 digits, so one byte of the 20 is always left for the sign.
        pos -= 1;
        tmp[pos] = b'-';
    }
    &tmp[pos..]
}

pub fn push_i64(buf: &mut Vec<u8>, value: i64) {
    let mut tmp = [0u8; 20];
    buf.extend_from_slice(format_i64(&mut tmp, value));
}

pub fn push_u64(buf: &mut Vec<u8>, value: u64) {
    if value < 10 {
        buf.push(b'0' + value as u8);
        return;
    }
    let mut tmp = [0u8; 20];
    let mut pos = tmp.len();
    let mut v = value;
    while v > 0 {
        pos -= 1;
        tmp[pos] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&tmp[pos..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut Reply)) -> (String, String) {
        let mut a = Vec::new();
        f(&mut Reply::new(&mut a, RespVersion::Resp2));
        let mut b = Vec::new();
        f(&mut Reply::new(&mut b, RespVersion::Resp3));
        (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap())
    }

    #[test]
    fn encodings_per_version() {
        assert_eq!(both(|r| r.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.map(2)), ("*4\r\n".into(), "%2\r\n".into()));
        assert_eq!(both(|r| r.set(3)), ("*3\r\n".into(), "~3\r\n".into()));
        assert_eq!(
            both(|r| r.boolean(true)),
            (":1\r\n".into(), "#t\r\n".into())
        );
        assert_eq!(
            both(|r| r.double_text(b"1.5")),
            ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into())
        );
        assert_eq!(
            both(|r| r.verbatim(b"txt", b"hi")),
            ("$2\r\nhi\r\n".into(), "=6\r\ntxt:hi\r\n".into())
        );
    }

    #[test]
    fn integers() {
        for v in [0, 1, -1, 9, 10, 12345, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            Reply::new(&mut buf, RespVersion::Resp2).int(v);
            assert_eq!(buf, format!(":{v}\r\n").into_bytes());
            let mut buf = Vec::new();
            Reply::new(&mut buf, RespVersion::Resp2).bulk_i64(v);
            let s = v.to_string();
            assert_eq!(buf, format!("${}\r\n{s}\r\n", s.len()).into_bytes());
        }
    }
}

/// Error replies written by this thread, by code (the first word: `ERR`, `WRONGTYPE`,
/// ...), for INFO errorstats, `total_error_replies` and commandstats' `failed_calls`.
/// Thread-local, so writing an error touches no shared state; INFO sums the threads.
pub mod errors_written {
    use std::cell::RefCell;

    /// Distinct codes kept per thread; later ones are counted in the total only (Redis
    /// stops tracking new codes past 128 as well).
    pub const CODES_COUNT_MAX: usize = 128;
    /// Longest code kept.
    const CODE_BYTES_MAX: usize = 32;

    #[derive(Default)]
    struct Counts {
        total: u64,
        codes: Vec<(Box<str>, u64)>,
    }

    thread_local! {
        static COUNTS: RefCell<Counts> = RefCell::new(Counts::default());
    }

    /// Counts one error reply whose text is `text`.
    pub fn note(text: &[u8]) {
        let end = text
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(text.len())
            .min(CODE_BYTES_MAX);
        let code = String::from_utf8_lossy(&text[..end]);
        COUNTS.with(|c| {
            let mut c = c.borrow_mut();
            c.total += 1;
            if let Some(entry) = c.codes.iter_mut().find(|(k, _)| **k == *code) {
                entry.1 += 1;
            } else if c.codes.len() < CODES_COUNT_MAX {
                c.codes.push((code.into(), 1));
            }
        });
    }

    /// Error replies written by this thread so far (compare before and after a command
    /// to know whether it failed).
    pub fn total() -> u64 {
        COUNTS.with(|c| c.borrow().total)
    }

    /// This thread's counts by code.
    pub fn snapshot() -> Vec<(Box<str>, u64)> {
        COUNTS.with(|c| c.borrow().codes.clone())
    }

    pub fn reset() {
        COUNTS.with(|c| *c.borrow_mut() = Counts::default());
    }
}
