//! Glob matching with the exact semantics of Redis 7.0's `stringmatchlen`, used by KEYS,
//! SCAN MATCH, PSUBSCRIBE, CONFIG GET and friends.
//!
//! Patterns: `*` (any run of bytes), `?` (any one byte), `[...]` classes with ranges
//! (`a-z`, either order), negation (`[^...]`) and backslash escapes, and `\x` for a
//! literal `x`. Redis's edge cases are reproduced on purpose: an unterminated `[` takes
//! the rest of the pattern as its class, a range reads the C `char` as signed, `nocase`
//! folds ASCII only (and folds range bounds *after* ordering them, as glibc's `tolower`
//! does), and an empty string matches only the empty pattern (so `*` does not match "";
//! KEYS and SCAN special-case a lone `*` themselves).
//!
//! Redis recurses once per `*` and stops pathological patterns with two rules: once the
//! innermost `*` has tried every start position the whole match fails, and a match that
//! has to go through more than [`MAX_STAR_NESTING`] `*` groups fails. That first rule is
//! exactly "only the most recent `*` ever backtracks", so this is the usual iterative
//! matcher with one remembered star: O(pattern × string) time, no recursion.

/// Redis gives up (no match) when a match has to pass more `*` groups than this.
pub const MAX_STAR_NESTING: usize = 1000;

/// Does `string` match the glob `pattern`? `nocase` folds ASCII letters.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let pat = Pattern { bytes: pattern };
    let mut p = 0;
    let mut s = 0;
    // (pattern index just after the latest `*` group, string index it last started at)
    let mut star: Option<(usize, usize)> = None;
    let mut stars_passed = 0usize;
    loop {
        if p < pattern.len() && pattern[p] == b'*' {
            while pat.at(p + 1) == b'*' {
                p += 1;
            }
            if p + 1 == pattern.len() {
                return true;
            }
            stars_passed += 1;
            if stars_passed > MAX_STAR_NESTING {
                return false;
            }
            p += 1;
            star = Some((p, s));
            continue;
        }
        let step = if p < pattern.len() {
            pat.step(p, string[s], nocase)
        } else {
            None
        };
        match step {
            Some(next_p) => {
                p = next_p;
                s += 1;
                if s == string.len() {
                    while pat.at(p) == b'*' {
                        p += 1;
                    }
                    return p == pattern.len();
                }
            }
            None => match star {
                Some((star_p, star_s)) if star_s + 1 < string.len() => {
                    star = Some((star_p, star_s + 1));
                    p = star_p;
                    s = star_s + 1;
                }
                _ => return false,
            },
        }
    }
}

/// A pattern read the way the C code reads it: past the end there is a NUL byte.
struct Pattern<'a> {
    bytes: &'a [u8],
}

impl Pattern<'_> {
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    /// Matches the single-byte element at `p` (not `*`) against `c`; the index of the
    /// next element on success.
    fn step(&self, p: usize, c: u8, nocase: bool) -> Option<usize> {
        match self.bytes[p] {
            b'?' => Some(p + 1),
            b'[' => self.class(p, c, nocase),
            b'\\' => {
                let p = if self.bytes.len() - p >= 2 { p + 1 } else { p };
                same_byte(self.bytes[p], c, nocase).then_some(p + 1)
            }
            b => same_byte(b, c, nocase).then_some(p + 1),
        }
    }

    /// The `[...]` class starting at `open` (the `[`).
    fn class(&self, open: usize, c: u8, nocase: bool) -> Option<usize> {
        let len = self.bytes.len();
        let mut q = open + 1;
        let negate = self.at(q) == b'^';
        if negate {
            q += 1;
        }
        let mut matched = false;
        loop {
            let left = len.saturating_sub(q);
            if self.at(q) == b'\\' && left >= 2 {
                q += 1;
                matched |= self.at(q) == c;
            } else if self.at(q) == b']' {
                break;
            } else if left == 0 {
                q -= 1;
                break;
            } else if left >= 3 && self.at(q + 1) == b'-' {
                matched |= in_range(self.at(q), self.at(q + 2), c, nocase);
                q += 2;
            } else {
                matched |= same_byte(self.at(q), c, nocase);
            }
            q += 1;
        }
        (matched != negate).then_some(q + 1)
    }
}

fn same_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// A class range as Redis computes it: bytes are C `char`s (signed), the bounds are
/// ordered first, and only then (with `nocase`) passed through glibc's `tolower`, which
/// maps a negative `char` to its unsigned value.
fn in_range(start: u8, end: u8, c: u8, nocase: bool) -> bool {
    let signed = |b: u8| i32::from(b as i8);
    let (mut lo, mut hi) = (signed(start), signed(end));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    let mut c = signed(c);
    if nocase {
        lo = c_tolower(lo);
        hi = c_tolower(hi);
        c = c_tolower(c);
    }
    lo <= c && c <= hi
}

/// glibc `tolower` in the C locale over the range a `char` can take.
fn c_tolower(v: i32) -> i32 {
    match v {
        -128..=-1 => v + 256,
        65..=90 => v + 32,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn basics() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h[ae]llo", "hello"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(m("a*b*c", "aXbYc"));
        assert!(!m("a*b*c", "aXbY"));
        assert!(m("*ab*c", "xabxabc"));
    }

    #[test]
    fn empty_inputs() {
        assert!(glob_match(b"", b"", false));
        assert!(!glob_match(b"*", b"", false));
        assert!(!glob_match(b"**", b"", false));
        assert!(!glob_match(b"", b"a", false));
    }

    /// Each case here was checked against redis-server 7.0.15 with KEYS.
    #[test]
    fn redis_edge_cases() {
        let keys = ["", "]", "a", "_"];
        let cases: &[(&str, &[&str])] = &[
            ("**", &["]", "a", "_"]),
            ("?", &["]", "a", "_"]),
            ("[a-]", &["]", "a", "_"]),
            ("[^", &["]", "a", "_"]),
            ("[", &[]),
            ("\\", &[]),
            ("[]]", &[]),
            ("[]a]", &[]),
            ("a\\", &[]),
            ("[a\\", &["a"]),
            ("[\\]", &["]"]),
        ];
        for (pattern, want) in cases {
            let got: Vec<&str> = keys.iter().copied().filter(|k| m(pattern, k)).collect();
            assert_eq!(&got, want, "pattern {pattern:?}");
        }
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\?b", "a?b"));
        assert!(!m("a\\?b", "axb"));
        assert!(m("[\\-]", "-"));
        assert!(m("[\\^a]", "^"));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"h[A-Z]llo", b"hello", true));
        assert!(glob_match(b"h[E]llo", b"hello", true));
        assert!(!glob_match(b"h[E]llo", b"hello", false));
        // An escaped byte inside a class is compared exactly, even with nocase.
        assert!(!glob_match(b"h[\\E]llo", b"hello", true));
        // Checked against Redis with COMMAND LIST FILTERBY PATTERN (which uses nocase):
        // "[a-\xe9]*" matches no command, "A*" matches "auth".
        assert!(!glob_match(b"[a-\xe9]*", b"acl", true));
        assert!(glob_match(b"[a-\xe9]*", b"acl", false));
        assert!(glob_match(b"A*", b"auth", true));
    }

    #[test]
    fn high_bytes_are_signed_in_ranges() {
        // [a-\xe9] covers -23..=97 as C chars: every byte >= 0xe9 and every byte <= 'a'.
        assert!(glob_match(b"[a-\xe9]", b"\xff", false));
        assert!(glob_match(b"[a-\xe9]", b"\x01", false));
        assert!(!glob_match(b"[a-\xe9]", b"\x80", false));
        assert!(!glob_match(b"[a-\xe9]", b"b", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let string = vec![b'a'; 10_000];
        let mut pattern = b"a*".repeat(500);
        pattern.push(b'b');
        assert!(!glob_match(&pattern, &string, false));
        assert!(glob_match(&b"*a".repeat(900), &string, false));
    }

    #[test]
    fn star_nesting_limit() {
        // Redis 7.0.15: 1000 `*` groups still match, 1001 do not (unless the last is final).
        let string = vec![b'a'; 3000];
        assert!(glob_match(&b"*a".repeat(1000), &string, false));
        assert!(!glob_match(&b"*a".repeat(1001), &string, false));
        let mut trailing = b"*a".repeat(1000);
        trailing.push(b'*');
        assert!(glob_match(&trailing, &string, false));
    }

    /// Compares with a private redis-server: loads random keys and checks KEYS for random
    /// patterns.
    #[test]
    fn matches_live_redis_keys() {
        let mut redis = crate::util::oracle::connect().expect("oracle");
        let mut rng = Rng(0x5eed);
        let mut mismatches = 0;
        for round in 0..200 {
            redis.call(&[b"FLUSHALL"]);
            let keys: Vec<Vec<u8>> = (0..200)
                .map(|_| rng.string(b"ab]-^\\[*?\xe9A\x80\xffz", 6))
                .collect();
            for key in &keys {
                redis.call(&[b"SET", key, b"1"]);
            }
            for _ in 0..50 {
                let pattern = rng.string(b"ab]-^\\[*?\xe9A\x80\xffz", 8);
                let mut want = redis.strings(&[b"KEYS", &pattern]);
                if pattern == b"*" {
                    want.retain(|k| !k.is_empty());
                }
                want.sort();
                want.dedup();
                let mut got: Vec<Vec<u8>> = keys
                    .iter()
                    .filter(|k| glob_match(&pattern, k, false))
                    .cloned()
                    .collect();
                got.sort();
                got.dedup();
                if got != want {
                    mismatches += 1;
                    eprintln!(
                        "round {round} pattern {:?}: shoal {got:?} redis {want:?}",
                        String::from_utf8_lossy(&pattern)
                    );
                }
            }
        }
        assert_eq!(mismatches, 0);
    }

    /// Like `matches_live_redis_keys`, for `nocase`: COMMAND LIST FILTERBY PATTERN matches
    /// command names case-insensitively.
    #[test]
    fn matches_live_redis_nocase() {
        let mut redis = crate::util::oracle::connect().expect("oracle");
        let names = redis.strings(&[b"COMMAND", b"LIST"]);
        let mut rng = Rng(0xcafe);
        let mut mismatches = 0;
        for _ in 0..3000 {
            let pattern = rng.string(b"aeEsS|-]^\\[*?\xe9zZ", 6);
            let mut want = redis.strings(&[b"COMMAND", b"LIST", b"FILTERBY", b"PATTERN", &pattern]);
            want.sort();
            let mut got: Vec<Vec<u8>> = names
                .iter()
                .filter(|n| glob_match(&pattern, n, true))
                .cloned()
                .collect();
            got.sort();
            if got != want {
                mismatches += 1;
                eprintln!(
                    "pattern {:?}: shoal {} redis {}",
                    String::from_utf8_lossy(&pattern),
                    got.len(),
                    want.len()
                );
            }
        }
        assert_eq!(mismatches, 0);
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn string(&mut self, alphabet: &[u8], max_len: u64) -> Vec<u8> {
            let len = self.next() % (max_len + 1);
            (0..len)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                .collect()
        }
    }
}
