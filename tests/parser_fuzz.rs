//! Seeded fuzzing of the request parser: generated valid pipelines (multibulk and
//! quoted inline), mutations of them (truncations, bit flips, huge counts, negative
//! lengths, dropped CR/LF, inserted garbage and NULs) and biased random bytes, each fed
//! whole and in random-size pieces the way a connection feeds its query buffer.
//!
//! Checked: no panic; valid pipelines parse to the commands they were built from; every
//! input gives the same outcome however it is split into pieces; statuses and argument
//! ranges are in bounds; the parser's heap stays proportional to the buffered input.
//!
//! The seed comes from `SHOAL_FUZZ_SEED` (else the clock) and is printed, so a failure
//! can be replayed; `SHOAL_FUZZ_ITERS` scales the run.

use shoal::protocol::parser::{Limits, ParseStatus, RequestParser};

/// splitmix64: tiny, seedable and good enough to drive generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

type Command = Option<Vec<Vec<u8>>>;

/// What feeding an input produced: the commands (`None` for empty requests), then the
/// error that stopped parsing, or `None` if it ran out of bytes.
#[derive(Debug, PartialEq)]
struct Outcome {
    commands: Vec<Command>,
    error: Option<String>,
}

fn seed() -> u64 {
    match std::env::var("SHOAL_FUZZ_SEED") {
        Ok(s) => s.trim().parse().expect("SHOAL_FUZZ_SEED must be a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

fn iterations(default: usize) -> usize {
    std::env::var("SHOAL_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `body` with a fresh seed, printing it so a failure can be replayed.
fn with_seed(name: &str, body: impl FnOnce(&mut Rng)) {
    let seed = seed();
    eprintln!("{name}: SHOAL_FUZZ_SEED={seed}");
    body(&mut Rng(seed));
}

// ---- feeding ---------------------------------------------------------------------

/// Parser heap allowed for a buffer of `buffered` bytes: a small fixed floor (the
/// reserve and retained capacities) plus a constant factor of the input.
fn heap_bytes_max(buffered: usize) -> usize {
    16 * 1024 + 16 * buffered
}

/// Feeds `input` in pieces whose sizes come from `piece`, parsing after each append as
/// a connection does, and checks the per-status invariants along the way.
fn feed(input: &[u8], limits: &Limits, mut piece: impl FnMut() -> usize) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = Vec::with_capacity(input.len());
    let mut start = 0;
    let mut commands = Vec::new();
    while buf.len() < input.len() {
        let n = piece().clamp(1, input.len() - buf.len());
        buf.extend_from_slice(&input[buf.len()..buf.len() + n]);
        loop {
            let rest = &buf[start..];
            let status = parser.parse(rest, limits);
            assert!(
                parser.allocated_bytes() <= heap_bytes_max(rest.len()),
                "parser holds {} bytes for a {}-byte buffer",
                parser.allocated_bytes(),
                rest.len()
            );
            match status {
                ParseStatus::Complete { consumed } => {
                    assert!(consumed > 0 && consumed <= rest.len());
                    commands.push(Some(collect_args(&parser, rest)));
                    start += consumed;
                }
                ParseStatus::Empty { consumed } => {
                    assert!(consumed > 0 && consumed <= rest.len());
                    commands.push(None);
                    start += consumed;
                }
                ParseStatus::Incomplete => break,
                error => {
                    return Outcome {
                        commands,
                        error: Some(format!("{error:?}")),
                    };
                }
            }
        }
    }
    Outcome {
        commands,
        error: None,
    }
}

fn collect_args(parser: &RequestParser, buf: &[u8]) -> Vec<Vec<u8>> {
    let bytes = parser.arg_bytes(buf);
    assert!(
        !parser.args().is_empty(),
        "a complete command has arguments"
    );
    parser
        .args()
        .iter()
        .map(|r| {
            assert!(r.start <= r.end && r.end as usize <= bytes.len(), "{r:?}");
            bytes[r.start as usize..r.end as usize].to_vec()
        })
        .collect()
}

/// Feeds `input` whole and in random pieces; every way must agree.
fn feed_all_ways(rng: &mut Rng, input: &[u8], limits: &Limits) -> Outcome {
    let whole = feed(input, limits, || usize::MAX);
    for _ in 0..2 {
        let piece_max = *rng.pick(&[1, 3, 8, 64, 1024]);
        let mut sizes = Rng(rng.next());
        let split = feed(input, limits, || 1 + sizes.below(piece_max));
        assert_eq!(
            whole,
            split,
            "pieces of up to {piece_max} bytes disagree on {:?}",
            String::from_utf8_lossy(input)
        );
    }
    // Byte by byte is the harshest split; keep it to small inputs for time.
    if input.len() <= 512 {
        assert_eq!(whole, feed(input, limits, || 1), "byte-by-byte disagrees");
    }
    whole
}

// ---- generation ------------------------------------------------------------------

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next() as u8).collect()
}

/// A length that is usually small and sometimes spans many pieces.
fn arg_len(rng: &mut Rng) -> usize {
    if rng.chance(20) {
        100 + rng.below(3000)
    } else {
        rng.below(12)
    }
}

fn multibulk(rng: &mut Rng, out: &mut Vec<u8>) -> Command {
    let count = if rng.chance(10) {
        1 + rng.below(40)
    } else {
        1 + rng.below(5)
    };
    out.extend_from_slice(format!("*{count}\r\n").as_bytes());
    let mut args = Vec::new();
    for _ in 0..count {
        let len = arg_len(rng);
        let arg = random_bytes(rng, len);
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(&arg);
        out.extend_from_slice(b"\r\n");
        args.push(arg);
    }
    Some(args)
}

const PLAIN: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-+{}$";

/// One inline argument in a random quoting style; returns (encoded, decoded).
fn inline_arg(rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    match rng.below(3) {
        0 => {
            let arg: Vec<u8> = (0..1 + rng.below(10)).map(|_| *rng.pick(PLAIN)).collect();
            (arg.clone(), arg)
        }
        1 => {
            let len = arg_len(rng).min(40);
            let arg = random_bytes(rng, len);
            let mut enc = vec![b'"'];
            for &b in &arg {
                match b {
                    b'"' => enc.extend_from_slice(b"\\\""),
                    b'\\' => enc.extend_from_slice(b"\\\\"),
                    b'\n' => enc.extend_from_slice(b"\\n"),
                    b'\r' => enc.extend_from_slice(b"\\r"),
                    b'\t' => enc.extend_from_slice(b"\\t"),
                    0x20..=0x7e => enc.push(b),
                    _ => enc.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                }
            }
            enc.push(b'"');
            (enc, arg)
        }
        _ => {
            let arg: Vec<u8> = (0..rng.below(10))
                .map(|_| *rng.pick(b"ab \t\"'xyz"))
                .collect();
            let mut enc = vec![b'\''];
            for &b in &arg {
                if b == b'\'' {
                    enc.extend_from_slice(b"\\'");
                } else {
                    enc.push(b);
                }
            }
            enc.push(b'\'');
            (enc, arg)
        }
    }
}

fn blanks(rng: &mut Rng, min: usize) -> Vec<u8> {
    (0..min + rng.below(3))
        .map(|_| *rng.pick(b"  \t"))
        .collect()
}

fn inline(rng: &mut Rng, out: &mut Vec<u8>) -> Command {
    let count = rng.below(5);
    let mut args = Vec::new();
    // The line must not start with `*`, and none of our encodings does.
    out.extend_from_slice(&blanks(rng, 0));
    for i in 0..count {
        if i > 0 {
            out.extend_from_slice(&blanks(rng, 1));
        }
        let (enc, arg) = inline_arg(rng);
        out.extend_from_slice(&enc);
        args.push(arg);
    }
    out.extend_from_slice(&blanks(rng, 0));
    out.extend_from_slice(if rng.chance(2) { b"\r\n" } else { b"\n" });
    (!args.is_empty()).then_some(args)
}

fn pipeline(rng: &mut Rng) -> (Vec<u8>, Vec<Command>) {
    let mut bytes = Vec::new();
    let mut commands = Vec::new();
    for _ in 0..1 + rng.below(8) {
        let command = match rng.below(10) {
            0 => {
                let empty: &[u8] = if rng.chance(2) { b"*0\r\n" } else { b"*-1\r\n" };
                bytes.extend_from_slice(empty);
                None
            }
            1..=3 => inline(rng, &mut bytes),
            _ => multibulk(rng, &mut bytes),
        };
        commands.push(command);
    }
    (bytes, commands)
}

/// A number that lands on a limit or a parsing corner.
const NASTY_NUMBERS: &[&[u8]] = &[
    b"2147483647",
    b"2147483648",
    b"-5",
    b"-0",
    b"-1",
    b"0",
    b"01",
    b"+3",
    b"536870912",
    b"536870913",
    b"99999999999999999999",
    b"9223372036854775807",
    b"16385",
    b"11",
    b"",
    b"x",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    if input.is_empty() {
        input.extend_from_slice(b"*");
    }
    let at = rng.below(input.len());
    match rng.below(7) {
        0 => input.truncate(at),
        1 => input[at] ^= 1 << rng.below(8),
        2 => {
            // Rewrite the number after a `*` or `$`.
            if let Some(mark) = input[at..].iter().position(|&b| b == b'*' || b == b'$') {
                let from = at + mark + 1;
                let digits = input[from..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit() || **b == b'-')
                    .count();
                let nasty = rng.pick(NASTY_NUMBERS).to_vec();
                input.splice(from..from + digits, nasty);
            }
        }
        3 => {
            // Drop a CR, an LF or both.
            if let Some(cr) = input[at..].iter().position(|&b| b == b'\r' || b == b'\n') {
                let from = at + cr;
                let to = (from + 1 + rng.below(2)).min(input.len());
                input.drain(from..to);
            }
        }
        4 => {
            let junk: Vec<u8> = (0..1 + rng.below(4))
                .map(|_| *rng.pick(b"\0\r\n*$-\"' x9"))
                .collect();
            input.splice(at..at, junk);
        }
        5 => {
            let len = rng.below(input.len() - at + 1).min(64);
            let copy = input[at..at + len].to_vec();
            input.splice(at..at, copy);
        }
        _ => input.truncate(at.max(1)),
    }
}

/// Mostly default limits; sometimes tiny ones so every limit is hit by small inputs.
fn limits(rng: &mut Rng) -> Limits {
    if rng.chance(3) {
        Limits {
            bulk_bytes_max: rng.below(5000) as u64,
            multibulk_args_max: rng.below(50) as u64,
            inline_bytes_max: 1 + rng.below(200),
            authenticated: !rng.chance(2),
        }
    } else {
        Limits {
            authenticated: !rng.chance(4),
            ..Limits::default()
        }
    }
}

/// Random bytes drawn mostly from the protocol's own alphabet.
fn protocol_noise(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"**$$\r\n\r\n0123456789--\"'\\ \0aZx";
    let len = rng.below(300);
    (0..len)
        .map(|_| {
            if rng.chance(8) {
                rng.next() as u8
            } else {
                *rng.pick(ALPHABET)
            }
        })
        .collect()
}

// ---- the tests -------------------------------------------------------------------

#[test]
fn valid_pipelines_parse_the_same_in_any_pieces() {
    with_seed("valid_pipelines", |rng| {
        for _ in 0..iterations(10_000) {
            let (input, want) = pipeline(rng);
            let got = feed_all_ways(rng, &input, &Limits::default());
            assert_eq!(got.error, None, "{:?}", String::from_utf8_lossy(&input));
            assert_eq!(got.commands, want);
        }
    });
}

#[test]
fn mutated_pipelines_never_panic_and_ignore_piece_boundaries() {
    with_seed("mutated_pipelines", |rng| {
        for _ in 0..iterations(10_000) {
            let (mut input, _) = pipeline(rng);
            for _ in 0..1 + rng.below(3) {
                mutate(rng, &mut input);
            }
            let limits = limits(rng);
            feed_all_ways(rng, &input, &limits);
        }
    });
}

#[test]
fn random_bytes_never_panic_and_ignore_piece_boundaries() {
    with_seed("random_bytes", |rng| {
        for _ in 0..iterations(20_000) {
            let input = if rng.chance(4) {
                let len = rng.below(300);
                random_bytes(rng, len)
            } else {
                protocol_noise(rng)
            };
            let limits = limits(rng);
            feed_all_ways(rng, &input, &limits);
        }
    });
}

#[test]
fn lying_counts_and_lengths_allocate_nothing_ahead() {
    let limits = Limits::default();
    for input in [
        &b"*2147483647\r\n"[..],
        b"*2147483647\r\n$536870912\r\n",
        b"*1000000\r\n$1\r\na\r\n$1\r\nb\r\n",
    ] {
        let mut parser = RequestParser::new();
        assert_eq!(parser.parse(input, &limits), ParseStatus::Incomplete);
        assert!(parser.allocated_bytes() <= heap_bytes_max(input.len()));
    }
}
