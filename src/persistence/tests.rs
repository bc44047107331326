//! Unit tests of the RDB reader against bytes Redis 7.0.15 produced (DUMP payloads of
//! each encoding it writes) and hand-built blobs of the older encodings (ziplist,
//! zipmap) and file opcodes.

use super::dump::{FOOTER_BYTES, PayloadError, framed, parse, payload};
use super::read::{Reader, load, read_value};
use super::{opcode, rdb_type, write};
use crate::config::EncodingLimits;
use crate::storage::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn limits() -> EncodingLimits {
    EncodingLimits::default()
}

/// The elements of a value, in order (sets and hashes sorted), as text.
fn contents(v: &Value) -> Vec<String> {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut tmp = [0u8; 20];
    match v {
        Value::List(l) => l.iter().map(s).collect(),
        Value::Set(set) => {
            let mut m: Vec<String> = set.iter().map(|m| s(m.bytes(&mut tmp))).collect();
            m.sort();
            m
        }
        Value::Hash(h) => {
            let mut m: Vec<String> = h
                .iter()
                .map(|(f, v)| format!("{}={}", s(f), s(v)))
                .collect();
            m.sort();
            m
        }
        Value::ZSet(z) => {
            let mut out = Vec::new();
            z.walk(0, z.len(), false, |m, sc| {
                out.push(format!("{}={sc}", s(m)));
                true
            });
            out
        }
        other => vec![s(other.string_bytes(&mut tmp).unwrap())],
    }
}

/// Redis 7.0.15 DUMP payloads: `(what, hex, encoding shoal gives, contents)`.
const REDIS_PAYLOADS: &[(&str, &str, &str, &[&str])] = &[
    (
        "hash listpack",
        "102b2b00000008008266310382763103816e020c01836e656704dffd028362696704f400f2052a0100000009ff0a0079b89a0d362c35b8",
        "listpack",
        &["big=5000000000", "f1=v1", "n=12", "neg=-3"],
    ),
    (
        "zset listpack",
        "1129290000000a00816302842d696e660507010001816102010181620283322e350481640283696e6604ff0a00ff9a03cd4ea4c5e9",
        "listpack",
        &["c=-inf", "7=0", "a=1", "b=2.5", "d=inf"],
    ),
    (
        "intset, LZF-compressed",
        "0bc32028040800000004200301feff80000001200b4000017011a00902f2052a200900000a00c4825d4352a8d5d2",
        "intset",
        &["-2", "1", "5000000000", "70000"],
    ),
    (
        "quicklist2 packed",
        "120102292900000008008161020101dffb02c12c02f270110104817802f400f2052a0100000009f26079fe04ff0a00c721527f739adcb7",
        "quicklist",
        &["a", "1", "-5", "300", "70000", "x", "5000000000", "-100000"],
    ),
];

#[test]
fn reads_every_encoding_redis_dumps() {
    for &(what, h, encoding, expected) in REDIS_PAYLOADS {
        let v = parse(&hex(h), &limits()).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(v.encoding(), encoding, "{what}");
        assert_eq!(contents(&v), expected, "{what}");
    }
}

#[test]
fn reads_plain_quicklist_nodes_and_lzf_strings() {
    let v = parse(
        &hex("1203020e0e000000010085736d616c6c06ff01c3094096015050e08900015050020d0d0000000100847461696c05ff0a0012eed3688e336448"),
        &limits(),
    )
    .unwrap();
    assert_eq!(
        contents(&v),
        ["small".to_string(), "P".repeat(150), "tail".into()]
    );
    let v = parse(
        &hex("00c30b405a0361626361e04b020162630a00238036f9e2d0c780"),
        &limits(),
    )
    .unwrap();
    assert_eq!(contents(&v), ["abc".repeat(30)]);
}

/// A ziplist of a, 12, -5, 300, 70000, -100000, 5000000000 (every integer width).
fn ziplist_bytes() -> Vec<u8> {
    let entries = hex("000161\
                       03fd\
                       02fefb\
                       03c02c01\
                       04f0701101\
                       05d06079feff\
                       06e000f2052a01000000");
    let mut z = Vec::new();
    z.extend_from_slice(&(10 + entries.len() as u32 + 1).to_le_bytes());
    z.extend_from_slice(&(10 + entries.len() as u32 - 10).to_le_bytes());
    z.extend_from_slice(&7u16.to_le_bytes());
    z.extend_from_slice(&entries);
    z.push(0xff);
    z
}

fn blob_value(t: u8, blob: &[u8]) -> Result<Option<Value>, String> {
    let mut b = Vec::new();
    write::put_string(&mut b, blob, false);
    read_value(&mut Reader::new(&b), t, &limits())
}

#[test]
fn reads_ziplist_types_and_zipmap() {
    let items = ["a", "12", "-5", "300", "70000", "-100000", "5000000000"];
    let v = blob_value(rdb_type::LIST_ZIPLIST, &ziplist_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(contents(&v), items);
    // A quicklist of one ziplist node.
    let mut q = vec![1];
    write::put_string(&mut q, &ziplist_bytes(), false);
    let v = read_value(&mut Reader::new(&q), rdb_type::LIST_QUICKLIST, &limits())
        .unwrap()
        .unwrap();
    assert_eq!(contents(&v), items);
    // Odd count: not a hash or a zset.
    assert!(blob_value(rdb_type::HASH_ZIPLIST, &ziplist_bytes()).is_err());
    let zipmap = hex("020161020078790162010278 0000ff".replace(' ', "").as_str());
    let v = blob_value(rdb_type::HASH_ZIPMAP, &zipmap).unwrap().unwrap();
    assert_eq!(contents(&v), ["a=xy", "b=x"]);
}

#[test]
fn payload_round_trip_and_errors() {
    let mut h = crate::storage::hash::HashValue::new();
    h.set(b"f", b"v", &limits());
    let p = payload(Value::Hash(h).as_ref(), true);
    assert_eq!(contents(&parse(&p, &limits()).unwrap()), ["f=v"]);
    let mut bad = p.clone();
    bad[2] ^= 1;
    assert_eq!(
        parse(&bad, &limits()).err(),
        Some(PayloadError::VersionOrChecksum)
    );
    assert_eq!(
        parse(b"short", &limits()).err(),
        Some(PayloadError::VersionOrChecksum)
    );
    // A well-formed footer around junk.
    let junk = framed(vec![rdb_type::LIST, 5, 1], 10);
    assert_eq!(parse(&junk, &limits()).err(), Some(PayloadError::BadData));
}

/// An RDB version 6 file as Redis 3.2 wrote them: EXPIRETIME in seconds, a ziplist
/// list, no checksum (zero).
fn old_file() -> Vec<u8> {
    let mut f = b"REDIS0006".to_vec();
    write::put_aux(&mut f, "redis-ver", b"3.2.0");
    f.extend_from_slice(&[opcode::SELECTDB, 2]);
    f.push(opcode::EXPIRETIME);
    f.extend_from_slice(&4_102_444_800u32.to_le_bytes());
    f.push(rdb_type::LIST_ZIPLIST);
    write::put_string(&mut f, b"zl", false);
    write::put_string(&mut f, &ziplist_bytes(), false);
    f.push(opcode::EXPIRETIME);
    f.extend_from_slice(&1u32.to_le_bytes());
    f.push(rdb_type::STRING);
    write::put_string(&mut f, b"gone", false);
    write::put_string(&mut f, b"x", false);
    f.extend_from_slice(&[
        opcode::FREQ,
        5,
        opcode::IDLE,
        7,
        rdb_type::STRING,
        1,
        b'k',
        1,
        b'v',
    ]);
    f.push(opcode::EOF);
    f.extend_from_slice(&[0; 8]);
    f
}

#[test]
fn loads_old_files_and_refuses_modules_and_functions() {
    let mut f = old_file();
    let mut keys = Vec::new();
    let stats = load(&f, &limits(), 16, 1_000_000, |db, k, _, exp| {
        keys.push((db, k, exp))
    })
    .unwrap();
    assert_eq!(stats.version, 6);
    assert_eq!(stats.redis_ver.as_deref(), Some("3.2.0"));
    assert_eq!((stats.keys_loaded, stats.keys_expired), (2, 1));
    assert_eq!(
        keys,
        [
            (2, b"zl".to_vec(), 4_102_444_800_000),
            (2, b"k".to_vec(), 0)
        ]
    );
    // A wrong checksum is refused.
    let n = f.len();
    f[n - 1] = 1;
    assert!(
        load(&f, &limits(), 16, 0, |_, _, _, _| {})
            .unwrap_err()
            .contains("checksum")
    );
    for (op, needle) in [
        (opcode::MODULE_AUX, "module"),
        (opcode::FUNCTION_2, "functions"),
    ] {
        let g = [&b"REDIS0010"[..], &[op, 0, 0, 0]].concat();
        let e = load(&g, &limits(), 16, 0, |_, _, _, _| {}).unwrap_err();
        assert!(e.contains(needle), "{e}");
    }
    let g = [&b"REDIS0010"[..], &[opcode::SELECTDB, 20, opcode::EOF]].concat();
    assert!(load(&g, &limits(), 16, 0, |_, _, _, _| {}).is_err());
}

/// A version 10 file as shoal writes it: a hash with a TTL and an integer string, in
/// database 1.
fn small_file() -> Vec<u8> {
    let mut hv = crate::storage::hash::HashValue::new();
    hv.set(b"field", &[b'v'; 100], &limits());
    let mut body = Vec::new();
    write::put_entry(
        &mut body,
        b"h",
        Value::Hash(hv).as_ref(),
        4_102_444_800_000,
        true,
    );
    write::put_entry(
        &mut body,
        b"s",
        Value::from_bytes(b"12345").as_ref(),
        0,
        true,
    );
    let chunk = super::DbChunk {
        db: 1,
        keys: 2,
        volatile: 1,
        bytes: body,
    };
    super::assemble(vec![vec![chunk]], 0, 0)
}

#[test]
fn truncations_of_a_file_are_errors_never_panics() {
    let file = small_file();
    assert!(load(&file, &limits(), 16, 0, |_, _, _, _| {}).is_ok());
    for cut in 0..file.len() {
        assert!(
            load(&file[..cut], &limits(), 16, 0, |_, _, _, _| {}).is_err(),
            "cut {cut}"
        );
    }
    // Every single-byte corruption is an error or a different but valid load.
    for at in 9..file.len() {
        let mut bad = file.clone();
        bad[at] ^= 0xa5;
        assert!(
            load(&bad, &limits(), 16, 0, |_, _, _, _| {}).is_err(),
            "byte {at}"
        );
    }
}

/// A listpack of short strings and small integers, as Redis 7.2 writes a set listpack.
fn listpack_bytes(items: &[&str]) -> Vec<u8> {
    let mut entries = Vec::new();
    for it in items {
        match it.parse::<u8>() {
            Ok(n) if n < 128 && n.to_string() == *it => entries.extend_from_slice(&[n, 1]),
            _ => {
                entries.push(0x80 | it.len() as u8);
                entries.extend_from_slice(it.as_bytes());
                entries.push(1 + it.len() as u8);
            }
        }
    }
    let mut lp = Vec::new();
    lp.extend_from_slice(&(6 + entries.len() as u32 + 1).to_le_bytes());
    lp.extend_from_slice(&(items.len() as u16).to_le_bytes());
    lp.extend_from_slice(&entries);
    lp.push(0xff);
    lp
}

#[test]
fn reads_set_listpack_and_ziplist_zsets_and_hashes() {
    let v = blob_value(rdb_type::SET_LISTPACK, &listpack_bytes(&["a", "7", "bc"]))
        .unwrap()
        .unwrap();
    assert_eq!(contents(&v), ["7", "a", "bc"]);
    assert_eq!(v.encoding(), "hashtable");
    let v = blob_value(rdb_type::SET_LISTPACK, &listpack_bytes(&["1", "2"]))
        .unwrap()
        .unwrap();
    assert_eq!(v.encoding(), "intset");
    assert!(blob_value(rdb_type::SET_LISTPACK, &listpack_bytes(&["a", "a"])).is_err());
    assert!(
        blob_value(rdb_type::SET_LISTPACK, &listpack_bytes(&[]))
            .unwrap()
            .is_none()
    );
    let v = blob_value(
        rdb_type::ZSET_LISTPACK,
        &listpack_bytes(&["m", "3", "n", "inf"]),
    )
    .unwrap()
    .unwrap();
    assert_eq!(contents(&v), ["m=3", "n=inf"]);
    assert!(blob_value(rdb_type::ZSET_LISTPACK, &listpack_bytes(&["m", "x"])).is_err());
    let v = blob_value(
        rdb_type::HASH_LISTPACK,
        &listpack_bytes(&["f", "1", "g", "x"]),
    )
    .unwrap()
    .unwrap();
    assert_eq!(contents(&v), ["f=1", "g=x"]);
    // Ziplist zset and hash (Redis < 7.0): a ziplist of the pairs a 12, -5 300.
    let mut z = Vec::new();
    let body = hex("00016103fd02fefb03c02c01");
    z.extend_from_slice(&(10 + body.len() as u32 + 1).to_le_bytes());
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(&4u16.to_le_bytes());
    z.extend_from_slice(&body);
    z.push(0xff);
    let v = blob_value(rdb_type::HASH_ZIPLIST, &z).unwrap().unwrap();
    assert_eq!(contents(&v), ["-5=300", "a=12"]);
    let v = blob_value(rdb_type::ZSET_ZIPLIST, &z).unwrap().unwrap();
    assert_eq!(contents(&v), ["a=12", "-5=300"]);
}

/// A payload of RDB type `t` holding `blob` as its one string (the ziplist family),
/// with a version 9 footer.
fn blob_payload(t: u8, blob: &[u8]) -> Vec<u8> {
    let mut p = vec![t];
    write::put_string(&mut p, blob, false);
    framed(p, 9)
}

/// Whether `f` panicked; what it returned is dropped.
fn panics<T>(f: impl FnOnce() -> T) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

/// Files with no checksum (0: the reader skips the check, as for `rdbchecksum no`) and
/// payloads of the old encodings with a recomputed one, mutated at random: every opcode
/// and encoding path sees bytes that pass the checksum. Each must load or be refused,
/// never panic. (`tests/restore_fuzz.rs` does the same for today's payloads, over the
/// wire too.)
#[test]
fn mutated_files_and_old_payloads_load_or_fail_never_panic() {
    use super::mutate::mutate;
    use crate::util::test_rng::{Rng, seed_or_clock};
    const MUTANTS_PER_SOURCE: usize = 4000;
    let seed = seed_or_clock();
    let mut rng = Rng(seed | 1);
    let mut zipmap_blob = hex("020161020078790162010278");
    zipmap_blob.extend_from_slice(&hex("0000ff"));
    let mut quicklist = vec![rdb_type::LIST_QUICKLIST, 1];
    write::put_string(&mut quicklist, &ziplist_bytes(), false);
    let payloads = [
        blob_payload(rdb_type::LIST_ZIPLIST, &ziplist_bytes()),
        blob_payload(rdb_type::HASH_ZIPLIST, &ziplist_bytes()),
        blob_payload(rdb_type::ZSET_ZIPLIST, &ziplist_bytes()),
        blob_payload(rdb_type::HASH_ZIPMAP, &zipmap_blob),
        framed(quicklist, 9),
    ];
    for source in &payloads {
        assert!(!panics(|| parse(source, &limits())));
        for _ in 0..MUTANTS_PER_SOURCE {
            let mut value = source[..source.len() - FOOTER_BYTES].to_vec();
            mutate(&mut value, &mut rng);
            let m = framed(value, 9);
            assert!(
                !panics(|| parse(&m, &limits())),
                "seed {seed}: payload {}",
                m.escape_ascii()
            );
        }
    }
    for source in [old_file(), small_file()] {
        for _ in 0..MUTANTS_PER_SOURCE {
            let mut body = source[..source.len() - 8].to_vec();
            mutate(&mut body, &mut rng);
            body.extend_from_slice(&[0; 8]);
            assert!(
                !panics(|| load(&body, &limits(), 16, 0, |_, _, _, _| {})),
                "seed {seed}: file {}",
                body.escape_ascii()
            );
        }
    }
}
