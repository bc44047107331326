//! The streaming writer against the in-memory assembly ([`super::super::assemble`]) of
//! the same chunks, its cleanup on failure, and its backpressure signal.

use super::*;
use crate::persistence::{DbChunk, assemble, rdb_type, read};
use crate::storage::Value;
use std::time::Duration;

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("shoal-stream-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A collection value of type `t` with `items` (hash: field, value pairs; zset: scores
/// are the item's index), through the reader so every kind is built the same way.
fn collection(t: u8, items: &[Vec<u8>]) -> Value {
    let mut b = Vec::new();
    let n = if t == rdb_type::HASH {
        items.len() / 2
    } else {
        items.len()
    };
    write::put_len(&mut b, n as u64);
    for (i, it) in items.iter().enumerate() {
        write::put_string(&mut b, it, false);
        if t == rdb_type::ZSET_2 {
            b.extend_from_slice(&(i as f64).to_le_bytes());
        }
    }
    let mut r = read::Reader::new(&b);
    read::read_value(&mut r, t, &Default::default())
        .unwrap()
        .unwrap()
}

/// Every kind of value, with strings LZF shortens and strings it does not.
fn values() -> Vec<Value> {
    let text = |i: usize| format!("member-{i}-{}", "ab".repeat(i % 40)).into_bytes();
    // Bytes no back reference fits: LZF gives up on them.
    let noise: Vec<u8> = (0..600u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let items: Vec<Vec<u8>> = (0..30).map(text).collect();
    vec![
        Value::Int(-42),
        Value::from_bytes(b"short"),
        Value::from_bytes(&[b'x'; 300]),
        Value::from_bytes(&noise),
        Value::from_bytes(b"12345678901234567890123"),
        collection(rdb_type::LIST, &items),
        collection(rdb_type::SET, &items),
        collection(rdb_type::ZSET_2, &items),
        collection(rdb_type::HASH, &items),
        collection(rdb_type::LIST, &[noise.clone(), b"7".to_vec()]),
    ]
}

/// `count` chunks of database `db`, each a few keys; both with and without LZF.
fn chunks(db: usize, count: usize, seed: usize) -> (Vec<DbChunk>, Vec<DbChunk>) {
    let values = values();
    let (mut plain, mut packed) = (Vec::new(), Vec::new());
    for c in 0..count {
        let (mut p, mut z) = (Vec::new(), Vec::new());
        let mut volatile = 0;
        for (i, v) in values.iter().enumerate() {
            let key = format!("key:{db}:{seed}:{c}:{i}:{}", "k".repeat(i * 3));
            let expire_ms = if i % 3 == 0 {
                4_102_444_800_000 + i as u64
            } else {
                0
            };
            volatile += (expire_ms != 0) as u64;
            write::put_entry(&mut p, key.as_bytes(), v.as_ref(), expire_ms, false);
            write::put_entry(&mut z, key.as_bytes(), v.as_ref(), expire_ms, true);
        }
        let keys = values.len() as u64;
        plain.push(DbChunk {
            db,
            keys,
            volatile,
            bytes: p,
        });
        packed.push(DbChunk {
            db,
            keys,
            volatile,
            bytes: z,
        });
    }
    (plain, packed)
}

/// Runs a streamed save of `sent` (sizes sent after the first `early` chunks).
fn stream_save(
    dir: &TempDir,
    options: Options,
    sizes: Vec<DbSize>,
    sent: Vec<DbChunk>,
    early: usize,
) -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = start(&dir.0, "dump.rdb", options, move |r| tx.send(r).unwrap()).unwrap();
    for (i, c) in sent.into_iter().enumerate() {
        if i == early {
            sink.sizes(sizes.clone());
        }
        sink.send(c);
    }
    sink.sizes(sizes);
    sink.finish();
    rx.recv_timeout(Duration::from_secs(30)).unwrap()
}

fn exact_sizes(chunks: &[DbChunk]) -> Vec<DbSize> {
    let mut sizes = vec![DbSize::default(); 16];
    for c in chunks {
        sizes[c.db].keys += c.keys;
        sizes[c.db].volatile += c.volatile;
    }
    sizes
}

/// Chunks of databases 2, 0 and 5 from two shards, interleaved as shards send them.
fn interleaved() -> (Vec<DbChunk>, Vec<DbChunk>) {
    let parts = [
        chunks(2, 3, 0),
        chunks(0, 4, 1),
        chunks(5, 2, 2),
        chunks(2, 2, 3),
    ];
    let (mut plain, mut packed) = (Vec::new(), Vec::new());
    for round in 0..4 {
        for (p, z) in &parts {
            if let (Some(p), Some(z)) = (p.get(round), z.get(round)) {
                plain.push(DbChunk {
                    bytes: p.bytes.clone(),
                    ..*p
                });
                packed.push(DbChunk {
                    bytes: z.bytes.clone(),
                    ..*z
                });
            }
        }
    }
    (plain, packed)
}

/// The streamed file, byte for byte, is what the in-memory assembly of the same chunks
/// writes, with and without compression (the writer's LZF equals the serializer's).
#[test]
fn streamed_file_equals_a_non_streamed_save() {
    for compress in [true, false] {
        for early in [0, 3] {
            let dir = TempDir::new("equal");
            let (plain, packed) = interleaved();
            let sizes = exact_sizes(&plain);
            let reference = if compress { &packed } else { &plain };
            let reference: Vec<DbChunk> = reference
                .iter()
                .map(|c| DbChunk {
                    bytes: c.bytes.clone(),
                    ..*c
                })
                .collect();
            let expected = assemble(vec![reference], 123_456, 1_700_000_000);
            let options = Options::new(compress, 123_456, 1_700_000_000);
            stream_save(&dir, options, sizes, plain, early).unwrap();
            let got = std::fs::read(dir.0.join("dump.rdb")).unwrap();
            assert!(got == expected, "compress={compress} early={early}");
            assert_eq!(dir.files(), ["dump.rdb"]);
            let mut keys = 0;
            read::load(&got, &Default::default(), 16, 0, |_, _, _, _| keys += 1).unwrap();
            assert_eq!(keys, 11 * values().len());
        }
    }
}

/// A failure at any point (in the first database, or appending a spooled one) or an
/// abandoned save leaves `dump.rdb` as it was and no temp or spool file behind.
#[test]
fn a_failed_save_leaves_the_old_file_and_no_temp_files() {
    let (plain, _) = interleaved();
    let total: usize = plain.iter().map(|c| c.bytes.len()).sum();
    let first_db: usize = plain
        .iter()
        .filter(|c| c.db == 0)
        .map(|c| c.bytes.len())
        .sum();
    for fail_after_bytes in [10, 200, first_db as u64 + 300, total as u64] {
        let dir = TempDir::new("fail");
        std::fs::write(dir.0.join("dump.rdb"), b"the old file").unwrap();
        let (plain, _) = interleaved();
        let sizes = exact_sizes(&plain);
        let options = Options {
            fail_after_bytes,
            ..Options::new(false, 0, 0)
        };
        let e = stream_save(&dir, options, sizes, plain, 2).unwrap_err();
        assert!(e.to_string().contains("injected"), "{e}");
        assert_eq!(
            std::fs::read(dir.0.join("dump.rdb")).unwrap(),
            b"the old file"
        );
        assert_eq!(dir.files(), ["dump.rdb"], "after {fail_after_bytes} bytes");
    }
    let dir = TempDir::new("abandon");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = start(&dir.0, "dump.rdb", Options::new(true, 0, 0), move |r| {
        tx.send(r).unwrap()
    })
    .unwrap();
    let (plain, _) = interleaved();
    sink.sizes(exact_sizes(&plain));
    plain.into_iter().for_each(|c| sink.send(c));
    drop(sink);
    let e = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap()
        .unwrap_err();
    assert!(e.to_string().contains("abandoned"), "{e}");
    assert!(dir.files().is_empty(), "{:?}", dir.files());
}

/// Chunks the writer has not written count against the queue: the walker's signal is
/// up while they exceed the bound and drops once the writer catches up.
#[test]
fn congested_while_the_writer_is_behind() {
    let dir = TempDir::new("congested");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = start(&dir.0, "dump.rdb", Options::new(false, 0, 0), move |r| {
        tx.send(r).unwrap()
    })
    .unwrap();
    assert!(!sink.congested());
    // Until the sizes come, the writer holds what it receives.
    let mut sizes = vec![DbSize::default(); 1];
    for _ in 0..(QUEUE_BYTES_MAX / super::super::CHUNK_BYTES_MAX + 1) {
        let mut bytes = Vec::new();
        for i in 0..1000 {
            write::put_entry(
                &mut bytes,
                format!("k{i}").as_bytes(),
                Value::from_bytes(&[b'v'; 1100]).as_ref(),
                0,
                false,
            );
        }
        sizes[0].keys += 1000;
        sink.send(DbChunk {
            db: 0,
            keys: 1000,
            volatile: 0,
            bytes,
        });
    }
    assert!(sink.congested());
    sink.sizes(sizes);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sink.congested() {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    sink.finish();
    rx.recv_timeout(Duration::from_secs(30)).unwrap().unwrap();
    assert_eq!(dir.files(), ["dump.rdb"]);
}
