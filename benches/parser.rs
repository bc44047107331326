//! Request parsing throughput: shoal's parser against the `redis-protocol` crate's RESP2
//! decoder on the same complete inputs. Each iteration parses the whole input (every
//! command of a pipeline), so the reported time is per input.
//!
//! `redis-protocol` is measured twice: `decode` (owned frames, as a typical server built
//! on it would use) and `decode_range` (its zero-copy ranges, the closest match to ours).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shoal::protocol::parser::{Limits, ParseStatus, RequestParser};

/// Encodes one command as a RESP2 multibulk.
fn multibulk(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// The inputs: (name, bytes, number of commands).
fn inputs() -> Vec<(&'static str, Vec<u8>, usize)> {
    let mut pipeline = Vec::new();
    for i in 0..16 {
        let key = format!("key:{i:03}");
        multibulk(&mut pipeline, &[b"SET", key.as_bytes(), b"value"]);
    }
    // MSET plus 99 arguments: 100 in all.
    let items: Vec<String> = (0..99).map(|i| format!("field:{i:03}")).collect();
    let mut mset_args: Vec<&[u8]> = vec![b"MSET"];
    mset_args.extend(items.iter().map(|s| s.as_bytes()));
    let mut mset = Vec::new();
    multibulk(&mut mset, &mset_args);
    let value = vec![b'x'; 1024 * 1024];
    let mut big = Vec::new();
    multibulk(&mut big, &[b"SET", b"key", &value]);
    vec![
        ("pipeline_16_set", pipeline, 16),
        ("mset_100_args", mset, 1),
        ("bulk_1mb", big, 1),
    ]
}

fn shoal_parse_all(parser: &mut RequestParser, input: &[u8], limits: &Limits) -> usize {
    let mut start = 0;
    let mut args = 0;
    while start < input.len() {
        match parser.parse(&input[start..], limits) {
            ParseStatus::Complete { consumed } => {
                args += parser.args().len();
                start += consumed;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    args
}

fn decode_all(input: &[u8]) -> usize {
    let mut start = 0;
    let mut frames = 0;
    while start < input.len() {
        let (frame, consumed) = redis_protocol::resp2::decode::decode(&input[start..])
            .expect("valid input")
            .expect("complete input");
        black_box(&frame);
        frames += 1;
        start += consumed;
    }
    frames
}

fn decode_range_all(input: &[u8]) -> usize {
    let mut start = 0;
    let mut frames = 0;
    while start < input.len() {
        let (frame, consumed) = redis_protocol::resp2::decode::decode_range(&input[start..])
            .expect("valid input")
            .expect("complete input");
        black_box(&frame);
        frames += 1;
        start += consumed;
    }
    frames
}

fn parser_bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, input, commands) in inputs() {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut parser = RequestParser::new();
        assert!(shoal_parse_all(&mut parser, &input, &limits) > 0);
        assert_eq!(decode_all(&input), commands);
        group.bench_function("shoal", |b| {
            b.iter(|| shoal_parse_all(&mut parser, black_box(&input), &limits))
        });
        group.bench_function("redis_protocol_decode", |b| {
            b.iter(|| decode_all(black_box(&input)))
        });
        group.bench_function("redis_protocol_decode_range", |b| {
            b.iter(|| decode_range_all(black_box(&input)))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared, and the gaps measured are large.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = parser_bench
}
criterion_main!(benches);
