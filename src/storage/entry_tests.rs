//! Tests of the entry block: layout sizes, every value kind at the key and value lengths
//! where the layout changes, kind changes, and a seeded randomized model test.

use super::*;
use crate::storage::list::ListValue;
use crate::util::test_rng::{Rng, seed_or_clock};

/// What a value reads as: its encoding and its elements (a string is one element).
type Seen = (&'static str, Vec<Vec<u8>>);

fn seen(v: ValueRef<'_>) -> Seen {
    let mut tmp = [0u8; 20];
    let elements = match v {
        ValueRef::List(l) => l.iter().map(<[u8]>::to_vec).collect(),
        ValueRef::Hash(h) => h
            .iter()
            .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
            .collect(),
        other => vec![other.string_bytes(&mut tmp).expect("a string").to_vec()],
    };
    (v.encoding(), elements)
}

/// A hash of `n` pairs with `value_bytes`-byte values under Redis's default thresholds.
fn hash_of(n: usize, value_bytes: usize) -> Value {
    let limits = crate::config::EncodingLimits::default();
    let mut h = HashValue::new();
    for i in 0..n {
        h.set(
            format!("f{i}").as_bytes(),
            &vec![b'v'; value_bytes],
            &limits,
        );
    }
    Value::Hash(h)
}

fn list_of(n: usize) -> Value {
    let mut l = ListValue::new(-2);
    for i in 0..n {
        l.push_back(format!("e{i}").as_bytes());
    }
    Value::List(l)
}

/// Values of every kind, at the lengths where the inline layout changes.
fn sample_values() -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::from_bytes(b""),
        Value::from_bytes(b"a"),
        Value::from_bytes(&[b'x'; 32]),
        Value::from_bytes(&[b'y'; EMBSTR_BYTES_MAX]),
        Value::from_bytes(&[b'z'; EMBSTR_BYTES_MAX + 1]),
        Value::Raw(Vec::new()),
        Value::Raw(vec![7; 1000]),
        list_of(0),
        list_of(3),
        hash_of(0, 0),
        hash_of(5, 8),
        // 60 pairs of 16 bytes: a listpack over PACKED_HASH_BYTES_MAX stays a heap Value.
        hash_of(60, 15),
        hash_of(200, 1),
    ]
}

fn key_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

const KEY_LENS: [usize; 7] = [0, 1, 16, 254, 255, 256, 70_000];

fn check(e: &Entry, key: &[u8], want: &Seen, expire_at_ms: u64) {
    assert_eq!(e.key(), key);
    assert_eq!(&seen(e.value()), want);
    assert_eq!(e.expire_at_ms(), expire_at_ms);
}

#[test]
fn short_strings_fit_one_small_block() {
    let key = [b'k'; 16];
    let value = Value::from_bytes(&[b'v'; 32]);
    let plain = Entry::new(&key, value.clone());
    assert_eq!(plain.block_bytes(), 48);
    assert_eq!(plain.usage_bytes(), 48);
    let volatile = Entry::with_parts(&key, value, 123);
    assert_eq!(volatile.block_bytes(), 56);
    assert_eq!(Entry::new(&key, Value::Int(5)).block_bytes(), 24);
    // An empty key with an empty string still allocates a (1-byte) block.
    assert_eq!(Entry::new(b"", Value::from_bytes(b"")).block_bytes(), 1);
    assert_eq!(Entry::new(&key, Value::Int(5)).value().encoding(), "int");
    assert_eq!(plain.value().encoding(), "embstr");
    // A heap value sits 8-aligned after the key.
    let raw = Entry::new(b"abc", Value::Raw(vec![1, 2]));
    assert_eq!(raw.block_bytes(), 8 + size_of::<Value>());
    assert_eq!(raw.usage_bytes(), raw.block_bytes() + 2);
}

#[test]
fn every_kind_at_every_key_length_round_trips() {
    for &key_len in &KEY_LENS {
        let key = key_of(key_len);
        for value in sample_values() {
            for expire in [0u64, 1, u64::MAX] {
                let want = seen(value.as_ref());
                let e = Entry::with_parts(&key, value.clone(), expire);
                check(&e, &key, &want, expire);
                let back = e.into_value();
                assert_eq!(seen(back.as_ref()), want);
            }
        }
    }
}

#[test]
fn kind_changes_keep_key_and_deadline() {
    for &key_len in &KEY_LENS {
        let key = key_of(key_len);
        for from in sample_values() {
            for to in sample_values() {
                let mut e = Entry::with_parts(&key, from.clone(), 99);
                e.set_value(to.clone());
                check(&e, &key, &seen(to.as_ref()), 99);
                e.set_expire_at_ms(0);
                check(&e, &key, &seen(to.as_ref()), 0);
                e.set_expire_at_ms(5);
                check(&e, &key, &seen(to.as_ref()), 5);
            }
        }
    }
}

#[test]
fn make_raw_converts_strings_only() {
    for value in sample_values() {
        let mut e = Entry::with_parts(b"k", value.clone(), 42);
        let before = seen(value.as_ref());
        match e.make_raw() {
            Some(buf) => {
                assert!(value.is_string());
                assert_eq!(buf.as_slice(), before.1[0].as_slice());
                buf.extend_from_slice(b"++");
                let mut want = before.1[0].clone();
                want.extend_from_slice(b"++");
                check(&e, b"k", &("raw", vec![want]), 42);
            }
            None => {
                assert!(!value.is_string());
                check(&e, b"k", &before, 42);
            }
        }
    }
}

#[test]
fn value_mut_reaches_heap_kinds_only() {
    let mut e = Entry::new(b"k", Value::from_bytes(b"short"));
    assert!(e.value_mut().is_none());
    e.set_value(list_of(1));
    let Some(Value::List(l)) = e.value_mut() else {
        panic!("a list")
    };
    l.push_back(b"more");
    assert_eq!(seen(e.value()).1.len(), 2);
}

/// One op on an entry and on its model.
fn random_step(rng: &mut Rng, e: &mut Entry, model: &mut (Seen, u64)) {
    match rng.below(6) {
        0 | 1 => {
            let values = sample_values();
            let v = values[rng.below(values.len() as u64) as usize].clone();
            model.0 = seen(v.as_ref());
            e.set_value(v);
        }
        2 => {
            let at = if rng.below(2) == 0 { 0 } else { rng.next() | 1 };
            e.set_expire_at_ms(at);
            model.1 = at;
        }
        3 => {
            let v = Value::from_bytes(&vec![b'w'; rng.below(60) as usize]);
            model.0 = seen(v.as_ref());
            e.set_value(v);
        }
        4 => {
            if let Some(buf) = e.make_raw() {
                let n = rng.below(50) as usize;
                buf.extend(std::iter::repeat_n(b'q', n));
                let mut s = model.0.1[0].clone();
                s.extend(std::iter::repeat_n(b'q', n));
                model.0 = ("raw", vec![s]);
            }
        }
        _ => {
            let n = rng.next() as i64;
            e.set_value(Value::Int(n));
            model.0 = ("int", vec![n.to_string().into_bytes()]);
        }
    }
}

#[test]
fn randomized_against_model() {
    let seed = seed_or_clock();
    let mut rng = Rng(seed | 1);
    for round in 0..200 {
        let key = key_of(KEY_LENS[rng.below(KEY_LENS.len() as u64) as usize]);
        let mut e = Entry::new(&key, Value::Int(1));
        let mut model: (Seen, u64) = (seen(ValueRef::Int(1)), 0);
        for step in 0..50 {
            random_step(&mut rng, &mut e, &mut model);
            assert_eq!(
                e.key(),
                key.as_slice(),
                "seed {seed} round {round} step {step}"
            );
            assert_eq!(
                seen(e.value()),
                model.0,
                "seed {seed} round {round} step {step}"
            );
            assert_eq!(
                e.expire_at_ms(),
                model.1,
                "seed {seed} round {round} step {step}"
            );
        }
        assert_eq!(seen(e.into_value().as_ref()), model.0, "seed {seed}");
    }
}

#[test]
fn small_hashes_live_in_the_block_and_survive_a_write() {
    let key = b"h:0000000001";
    let mut e = Entry::new(key, hash_of(5, 8));
    assert!(!e.is_heap());
    // Key, a 4-byte header and 5 pairs of [1]f?[1]vvvvvvvv: one block, no other allocation.
    assert_eq!(e.block_bytes(), 12 + 4 + 5 * 12);
    assert_eq!(e.usage_bytes(), e.block_bytes());
    let want = seen(e.value());
    assert_eq!(want.0, "listpack");

    // A writer gets a heap Value, changes it, and the entry packs it back.
    let limits = crate::config::EncodingLimits::default();
    let Some(Value::Hash(h)) = e.value_mut() else {
        panic!("a hash")
    };
    assert!(h.set(b"f5", b"new", &limits));
    assert!(e.is_heap());
    e.repack();
    assert!(!e.is_heap());
    let ValueRef::Hash(h) = e.value() else {
        panic!("a hash")
    };
    assert_eq!((h.len(), h.get(b"f5")), (6, Some(&b"new"[..])));

    // The deadline coming and going moves the packed bytes intact.
    e.set_expire_at_ms(1_700_000_000_000);
    assert_eq!((e.key(), e.expire_at_ms()), (&key[..], 1_700_000_000_000));
    e.set_expire_at_ms(0);
    e.relocate();
    let ValueRef::Hash(h) = e.value() else {
        panic!("a hash")
    };
    assert_eq!(h.get(b"f0"), Some(&b"vvvvvvvv"[..]));

    // Past PACKED_HASH_BYTES_MAX or converted to a hashtable, repack leaves it on the heap.
    for big in [hash_of(60, 15), hash_of(200, 1)] {
        let mut e = Entry::new(key, big);
        assert!(e.is_heap());
        e.repack();
        assert!(e.is_heap());
    }
}
