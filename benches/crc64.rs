//! CRC-64 (Redis's Jones polynomial) over a 1 MiB chunk: the checksum a BGSAVE's writer
//! runs over the whole file, and DUMP over every payload.
//!
//! Run: `cargo bench --bench crc64`. Measured here (criterion medians, 2-core VM):
//! slicing by 8 (what `src/persistence/crc64.rs` does) 1.72 GiB/s on 1 MiB and 1000
//! bytes alike. Slicing by 16 was tried: 1.94 GiB/s on 1 MiB (+11%), 2.08 on 1000
//! bytes, for twice the tables (32 KiB, all of L1 on many cores, in the writer thread
//! that also runs LZF); not kept. A real step needs carry-less multiplication.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shoal::persistence::crc64;

fn chunk(len: usize) -> Vec<u8> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("crc64");
    for len in [1000usize, 1 << 20] {
        let data = chunk(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("update-{len}"), |b| {
            b.iter(|| crc64::update(0, black_box(&data)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
