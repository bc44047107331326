//! Redis `sdssplitargs`: splits one line into arguments with Redis's quoting rules. It
//! serves inline requests (through the allocation-light [`split_args_with`]) and the
//! config file parser (through [`split_args`]).
//!
//! The rules, byte for byte as Redis 7.0 applies them:
//! - Arguments are separated by C `isspace` bytes (space, `\t`, `\n`, `\v`, `\f`, `\r`),
//!   but inside an unquoted argument only space, `\t`, `\n` and `\r` end it.
//! - A `"` or `'` anywhere in an unquoted argument opens a quoted section; the closing
//!   quote ends the argument and must be followed by `isspace` or the end of the line.
//! - Double quotes understand `\xHH` (two hex digits), `\n \r \t \b \a`, and `\<any>` as
//!   that byte. Single quotes understand only `\'`.
//! - Redis works on a C string, so a NUL byte ends the line.
//! - An unterminated quote, or a closing quote followed by something else, is an error.

/// Bytes C `isspace` accepts in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Bytes that end an unquoted argument (a narrower set than `is_c_space`).
fn ends_unquoted(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments with Redis's quoting rules; `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut bytes = Vec::new();
    let mut ranges = Vec::new();
    split_args_with(line, &mut bytes, |start, end| ranges.push((start, end)))?;
    Some(
        ranges
            .into_iter()
            .map(|(start, end)| bytes[start..end].to_vec())
            .collect(),
    )
}

/// Splits `line` like [`split_args`] without allocating per argument: each argument's
/// unescaped bytes are appended to `out`, and `on_arg(start, end)` receives its range in
/// `out`. Returns `None` on unbalanced quotes; `out` then holds a partial result the
/// caller should discard.
pub fn split_args_with(
    line: &[u8],
    out: &mut Vec<u8>,
    mut on_arg: impl FnMut(usize, usize),
) -> Option<()> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i == line.len() {
            return Some(());
        }
        let start = out.len();
        i = token(line, i, out)?;
        on_arg(start, out.len());
    }
}

/// Appends the argument starting at `line[i]` (not a space) to `out` and returns the
/// index just past it (past its terminating separator, if any).
fn token(line: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let rest = &line[i..];
    let run = rest
        .iter()
        .position(|&b| ends_unquoted(b) || b == b'"' || b == b'\'')
        .unwrap_or(rest.len());
    out.extend_from_slice(&rest[..run]);
    let i = i + run;
    match line.get(i) {
        None => Some(i),
        Some(b'"') => double_quoted(line, i + 1, out),
        Some(b'\'') => single_quoted(line, i + 1, out),
        Some(_) => Some(i + 1),
    }
}

/// After a closing quote at `line[i]`: the argument ends, and the next byte must be a
/// space or the end of the line.
fn close_quote(line: &[u8], i: usize) -> Option<usize> {
    match line.get(i + 1) {
        Some(&b) if !is_c_space(b) => None,
        _ => Some(i + 1),
    }
}

/// The body of a `"..."` section starting at `line[i]`; returns the index past the
/// closing quote.
fn double_quoted(line: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    loop {
        // Copy the plain run up to the next byte that needs a decision.
        let rest = line.get(i..)?;
        let run = rest.iter().position(|&b| b == b'\\' || b == b'"')?;
        out.extend_from_slice(&rest[..run]);
        i += run;
        if line[i] == b'"' {
            return close_quote(line, i);
        }
        i += backslash_escape(&line[i..], out);
    }
}

/// Decodes the backslash sequence at `seq[0]` inside double quotes into `out`; returns
/// how many bytes it took. A trailing lone backslash is kept as itself (the missing
/// closing quote is then reported by the caller).
fn backslash_escape(seq: &[u8], out: &mut Vec<u8>) -> usize {
    if let [b'\\', b'x', hi, lo, ..] = *seq
        && let (Some(hi), Some(lo)) = (hex_value(hi), hex_value(lo))
    {
        out.push(hi * 16 + lo);
        return 4;
    }
    match seq.get(1) {
        None => {
            out.push(b'\\');
            1
        }
        Some(&c) => {
            out.push(match c {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'a' => 0x07,
                other => other,
            });
            2
        }
    }
}

/// The body of a `'...'` section starting at `line[i]`; returns the index past the
/// closing quote. Only `\'` is an escape here.
fn single_quoted(line: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    loop {
        let rest = line.get(i..)?;
        let run = rest.iter().position(|&b| b == b'\\' || b == b'\'')?;
        out.extend_from_slice(&rest[..run]);
        i += run;
        match (line[i], line.get(i + 1)) {
            (b'\\', Some(b'\'')) => {
                out.push(b'\'');
                i += 2;
            }
            (b'\\', _) => {
                out.push(b'\\');
                i += 1;
            }
            _ => return close_quote(line, i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(line)
    }

    fn ok(line: &[u8], want: &[&[u8]]) {
        let got = split(line).unwrap_or_else(|| panic!("{line:?} should split"));
        let want: Vec<Vec<u8>> = want.iter().map(|w| w.to_vec()).collect();
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(line));
    }

    #[test]
    fn plain_words_and_blanks() {
        ok(b"", &[]);
        ok(b"   \t ", &[]);
        ok(b"set key value", &[b"set", b"key", b"value"]);
        ok(b"  a \t b\r\nc  ", &[b"a", b"b", b"c"]);
    }

    #[test]
    fn vertical_tab_separates_only_between_arguments() {
        // Leading blanks use isspace; inside a word only space/\t/\n/\r end it.
        ok(b"\x0bfoo", &[b"foo"]);
        ok(b"a\x0bb", &[b"a\x0bb"]);
        ok(b"a\x0cb c", &[b"a\x0cb", b"c"]);
        ok(b"\"a\"\x0b", &[b"a"]);
    }

    #[test]
    fn double_quote_escapes() {
        ok(br#""a\x41\n""#, &[b"aA\n"]);
        ok(br#""\r\t\b\a\\\"\z""#, &[b"\r\t\x08\x07\\\"z"]);
        ok(br#""\xZZ""#, &[b"xZZ"]);
        ok(br#""\x4""#, &[b"x4"]);
        ok(br#""\xfF""#, &[b"\xff"]);
        ok(br#""""#, &[b""]);
        ok(br#"a "b c" d"#, &[b"a", b"b c", b"d"]);
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        ok(br"'a\'b'", &[b"a'b"]);
        ok(br"'a\nb'", &[br"a\nb"]);
        // `\'` wins even after another backslash, so this quote stays open until `b'`.
        ok(br"'a\\' b'", &[br"a\' b"]);
        ok(b"''", &[b""]);
    }

    #[test]
    fn quote_inside_a_word_opens_a_section() {
        ok(br#"a"b c""#, &[b"ab c"]);
        ok(br#"key'x y' z"#, &[b"keyx y", b"z"]);
    }

    #[test]
    fn unbalanced_or_glued_quotes_fail() {
        for bad in [
            &br#""abc"#[..],
            br#""a"b"#,
            br"'abc",
            br"'a'b",
            br#""abc\""#,
            br#""\"#,
            br"'\'",
            br"'a\\'",
            br#"x "y"z"#,
        ] {
            assert_eq!(split(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn nul_ends_the_line_like_a_c_string() {
        ok(b"a b\0c d", &[b"a", b"b"]);
        ok(b"\"a\"\0junk", &[b"a"]);
        assert_eq!(split(b"\"a\0\""), None);
    }

    #[test]
    fn with_variant_reports_ranges_into_one_buffer() {
        let mut out = b"prefix".to_vec();
        let mut ranges = Vec::new();
        split_args_with(br#"GET "k\x00y""#, &mut out, |s, e| ranges.push((s, e))).unwrap();
        assert_eq!(ranges, vec![(6, 9), (9, 12)]);
        assert_eq!(&out[9..12], b"k\0y");
    }
}
