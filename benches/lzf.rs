//! LZF compression of the strings an RDB writer meets, per string.
//!
//! Inputs: 1000 bytes like redis-benchmark's `-d 1000` values (pseudo-random printable
//! bytes with little repetition: LZF must scan all of it and usually gives up), 1000
//! bytes of one repeated byte (long back references), and 16 KiB of text-like words.
//! Run: `cargo bench --bench lzf`. Measured here (criterion medians, 2-core VM): before
//! the literal runs, the rolling hash and hashing only a match's last two positions,
//! random-1000 2.93 us, repeated-1000 2.13 us, words-16k 44.3 us; after, 1.55 us,
//! 0.145 us and 33.4 us. Giving up after a probe of the first max(256, len/8) bytes
//! saved nothing: random-1000 0.41 us (the others unchanged).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shoal::persistence::lzf;

fn printable(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            b'0' + (seed % 75) as u8
        })
        .collect()
}

fn words(len: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "session", "user", "id", "token", "expires", "cart", "item", "price", "true", "false",
        "null", "name",
    ];
    let mut out = Vec::with_capacity(len + 16);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(WORDS[(seed % 12) as usize].as_bytes());
        out.extend_from_slice(if seed.is_multiple_of(5) {
            b"\":\""
        } else {
            b","
        });
    }
    out.truncate(len);
    out
}

fn bench(c: &mut Criterion) {
    let inputs = [
        ("random-1000", printable(1000, 7)),
        ("repeated-1000", vec![b'x'; 1000]),
        ("words-16k", words(16 * 1024)),
    ];
    let mut g = c.benchmark_group("lzf/compress");
    for (name, input) in &inputs {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| lzf::compress(black_box(input), input.len() - 4).map(|c| c.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
