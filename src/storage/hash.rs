//! Hash values: the field-value pairs one key holds. Knows nothing of commands or the
//! network; `commands::hash` builds the commands on it.
//!
//! Two encodings, as Redis 7.0 (OBJECT ENCODING names them):
//!
//! - `listpack`: one contiguous byte buffer of `[len][field][len][value]` entries in
//!   insertion order (lengths as LEB128 varints, so one byte of overhead per short
//!   string), with the pair count beside it. Lookups walk the buffer; every change
//!   reallocates it to its exact size, like Redis's listpack.
//! - `hashtable`: a [`DenseMap`] of [`Pair`]s (one allocation per pair holding field and
//!   value), O(1) lookups, O(1) uniform random picks and a SCAN that survives changes.
//!
//! A hash starts as a listpack and converts, never back, when a set would store a field
//! or value longer than `hash-max-listpack-value` bytes, or leaves more pairs than
//! `hash-max-listpack-entries` (checked on every set, updates included, as Redis does).

use super::dense::{DenseMap, Keyed};
use crate::config::EncodingLimits;

/// Redis converts a listpack past 1 GiB whatever the thresholds say (`lpSafeToAdd`).
const LISTPACK_BYTES_MAX: usize = 1 << 30;

// ---- varint lengths ---------------------------------------------------------------------

/// Appends `n` as a LEB128 varint (1 byte below 128, 2 below 16384, ...).
fn put_len(buf: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// Bytes `put_len` writes for `n`.
fn len_bytes(mut n: usize) -> usize {
    let mut bytes = 1;
    while n >= 0x80 {
        n >>= 7;
        bytes += 1;
    }
    bytes
}

/// Reads a varint at `at`: (value, offset after it). The buffers are built by this
/// module only, so they are always well formed.
fn get_len(buf: &[u8], mut at: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[at];
        at += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            return (n, at);
        }
        shift += 7;
    }
}

/// Reads one length-prefixed string at `at`: (its byte range start, end).
fn get_str(buf: &[u8], at: usize) -> (usize, usize) {
    let (len, start) = get_len(buf, at);
    (start, start + len)
}

/// Bytes one length-prefixed string takes.
fn entry_bytes(s: &[u8]) -> usize {
    len_bytes(s.len()) + s.len()
}

// ---- pairs of the hashtable encoding ------------------------------------------------------

/// One field and its value in one allocation: `[field len varint][field][value]`.
#[derive(Clone)]
pub struct Pair(Box<[u8]>);

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut buf = Vec::with_capacity(entry_bytes(field) + value.len());
        put_len(&mut buf, field.len());
        buf.extend_from_slice(field);
        buf.extend_from_slice(value);
        Pair(buf.into_boxed_slice())
    }

    fn field_end(&self) -> usize {
        get_str(&self.0, 0).1
    }

    pub fn field(&self) -> &[u8] {
        let (start, end) = get_str(&self.0, 0);
        &self.0[start..end]
    }

    pub fn value(&self) -> &[u8] {
        &self.0[self.field_end()..]
    }

    fn set_value(&mut self, value: &[u8]) {
        let end = self.field_end();
        let mut buf = Vec::with_capacity(end + value.len());
        buf.extend_from_slice(&self.0[..end]);
        buf.extend_from_slice(value);
        self.0 = buf.into_boxed_slice();
    }
}

impl Keyed for Pair {
    fn key(&self) -> &[u8] {
        self.field()
    }
}

// ---- the listpack encoding -------------------------------------------------------------------

/// Field-value entries in insertion order in one exact-size buffer.
#[derive(Clone, Default)]
pub struct Listpack {
    /// Pairs held. A pair takes at least 2 bytes and a listpack at most
    /// [`LISTPACK_BYTES_MAX`], so this never nears `u32::MAX`.
    count: u32,
    bytes: Box<[u8]>,
}

/// A borrowed listpack: what a [`Listpack`] holds, or the same bytes stored inline in a
/// key's entry block (see `storage::entry`), read the same way.
#[derive(Clone, Copy)]
pub struct ListpackRef<'a> {
    count: u32,
    bytes: &'a [u8],
}

/// Where one pair sits in a listpack buffer.
#[derive(Clone, Copy)]
struct Slot {
    /// Start of the field's length prefix.
    start: usize,
    /// Start of the value's length prefix.
    value_at: usize,
    /// The value's bytes.
    value: (usize, usize),
}

impl<'a> ListpackRef<'a> {
    /// A view of `bytes` holding `count` pairs, as [`Self::count`] and [`Self::bytes`]
    /// gave them (the entry module stores and returns them unchanged).
    pub fn from_parts(count: u32, bytes: &'a [u8]) -> ListpackRef<'a> {
        ListpackRef { count, bytes }
    }

    pub fn count(self) -> u32 {
        self.count
    }

    pub fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    fn len(self) -> usize {
        self.count as usize
    }

    /// The pair starting at `at`: (field range, value range).
    fn pair_at(self, at: usize) -> ((usize, usize), (usize, usize)) {
        let field = get_str(self.bytes, at);
        let value = get_str(self.bytes, field.1);
        (field, value)
    }

    fn find(self, field: &[u8]) -> Option<Slot> {
        let mut at = 0;
        while at < self.bytes.len() {
            let (f, v) = self.pair_at(at);
            if &self.bytes[f.0..f.1] == field {
                return Some(Slot {
                    start: at,
                    value_at: f.1,
                    value: v,
                });
            }
            at = v.1;
        }
        None
    }

    fn get(self, field: &[u8]) -> Option<&'a [u8]> {
        self.find(field).map(|s| &self.bytes[s.value.0..s.value.1])
    }

    fn iter(self) -> ListpackIter<'a> {
        ListpackIter {
            bytes: self.bytes,
            at: 0,
        }
    }

    /// Start offsets of every pair (for random picks by position).
    fn offsets(self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        let mut at = 0;
        while at < self.bytes.len() {
            out.push(at as u32);
            at = self.pair_at(at).1.1;
        }
        out
    }

    fn to_owned(self) -> Listpack {
        Listpack {
            count: self.count,
            bytes: self.bytes.into(),
        }
    }
}

impl Listpack {
    fn len(&self) -> usize {
        self.count as usize
    }

    fn view(&self) -> ListpackRef<'_> {
        ListpackRef {
            count: self.count,
            bytes: &self.bytes,
        }
    }

    /// Sets a pair; true when the field is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.view().find(field) {
            Some(slot) => {
                let old = slot.value.1 - slot.value.0;
                if old == value.len() {
                    self.bytes[slot.value.0..slot.value.1].copy_from_slice(value);
                } else {
                    let total =
                        self.bytes.len() - (slot.value.1 - slot.value_at) + entry_bytes(value);
                    let mut buf = Vec::with_capacity(total);
                    buf.extend_from_slice(&self.bytes[..slot.value_at]);
                    put_len(&mut buf, value.len());
                    buf.extend_from_slice(value);
                    buf.extend_from_slice(&self.bytes[slot.value.1..]);
                    self.bytes = buf.into_boxed_slice();
                }
                false
            }
            None => {
                let mut buf = std::mem::take(&mut self.bytes).into_vec();
                buf.reserve_exact(entry_bytes(field) + entry_bytes(value));
                put_len(&mut buf, field.len());
                buf.extend_from_slice(field);
                put_len(&mut buf, value.len());
                buf.extend_from_slice(value);
                self.bytes = buf.into_boxed_slice();
                self.count += 1;
                true
            }
        }
    }

    fn delete(&mut self, field: &[u8]) -> bool {
        let Some(slot) = self.view().find(field) else {
            return false;
        };
        let mut buf = Vec::with_capacity(self.bytes.len() - (slot.value.1 - slot.start));
        buf.extend_from_slice(&self.bytes[..slot.start]);
        buf.extend_from_slice(&self.bytes[slot.value.1..]);
        self.bytes = buf.into_boxed_slice();
        self.count -= 1;
        true
    }
}

pub struct ListpackIter<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for ListpackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let f = get_str(self.bytes, self.at);
        let v = get_str(self.bytes, f.1);
        self.at = v.1;
        Some((&self.bytes[f.0..f.1], &self.bytes[v.0..v.1]))
    }
}

// ---- the value ------------------------------------------------------------------------------

/// A hash: `listpack` while small, `hashtable` past the thresholds.
#[derive(Clone)]
pub enum HashValue {
    Listpack(Listpack),
    Table(Box<DenseMap<Pair>>),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Listpack(Listpack::default())
    }
}

/// A borrowed hash, what readers get: a listpack (held by a [`HashValue`] or inline in
/// its key's entry) or a hashtable.
#[derive(Clone, Copy)]
pub enum HashRef<'a> {
    Listpack(ListpackRef<'a>),
    Table(&'a DenseMap<Pair>),
}

/// Iterates the pairs of a hash: insertion order for a listpack, map order otherwise.
pub enum Iter<'a> {
    Listpack(ListpackIter<'a>),
    Table(std::slice::Iter<'a, Pair>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it.next().map(|p| (p.field(), p.value())),
        }
    }
}

/// Pairs addressable by position `0..len` (for random picks), built once per command.
pub enum Positions<'a> {
    Listpack(ListpackRef<'a>, Vec<u32>),
    Table(&'a DenseMap<Pair>),
}

impl<'a> Positions<'a> {
    pub fn len(&self) -> usize {
        match self {
            Positions::Listpack(_, offsets) => offsets.len(),
            Positions::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pair at position `i` (< len).
    pub fn get(&self, i: usize) -> (&'a [u8], &'a [u8]) {
        match self {
            Positions::Listpack(lp, offsets) => {
                let (f, v) = lp.pair_at(offsets[i] as usize);
                (&lp.bytes[f.0..f.1], &lp.bytes[v.0..v.1])
            }
            Positions::Table(m) => {
                let p = m.at(i);
                (p.field(), p.value())
            }
        }
    }
}

impl<'a> HashRef<'a> {
    pub fn len(self) -> usize {
        match self {
            HashRef::Listpack(lp) => lp.len(),
            HashRef::Table(m) => m.len(),
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding(self) -> &'static str {
        match self {
            HashRef::Listpack(_) => "listpack",
            HashRef::Table(_) => "hashtable",
        }
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, DEBUG OBJECT).
    pub fn heap_bytes(self) -> usize {
        match self {
            HashRef::Listpack(lp) => lp.bytes.len(),
            HashRef::Table(m) => {
                std::mem::size_of::<DenseMap<Pair>>()
                    + m.table_bytes()
                    + m.iter().map(|p| p.0.len()).sum::<usize>()
            }
        }
    }

    pub fn get(self, field: &[u8]) -> Option<&'a [u8]> {
        match self {
            HashRef::Listpack(lp) => lp.get(field),
            HashRef::Table(m) => m.get(field).map(Pair::value),
        }
    }

    pub fn contains(self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    pub fn iter(self) -> Iter<'a> {
        match self {
            HashRef::Listpack(lp) => Iter::Listpack(lp.iter()),
            HashRef::Table(m) => Iter::Table(m.iter()),
        }
    }

    /// The pairs by position, for several random picks.
    pub fn positions(self) -> Positions<'a> {
        match self {
            HashRef::Listpack(lp) => Positions::Listpack(lp, lp.offsets()),
            HashRef::Table(m) => Positions::Table(m),
        }
    }

    /// One uniformly random pair (`random` is any random number); None when empty.
    pub fn random_pair(self, random: u64) -> Option<(&'a [u8], &'a [u8])> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let i = (random % len as u64) as usize;
        match self {
            HashRef::Listpack(lp) => lp.iter().nth(i),
            HashRef::Table(m) => {
                let p = m.at(i);
                Some((p.field(), p.value()))
            }
        }
    }

    /// One HSCAN step from `cursor`, visiting about `count` pairs; returns the next
    /// cursor (0: done). A listpack is visited whole in one step, as Redis does.
    pub fn scan(self, cursor: u64, count: usize, mut visit: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        match self {
            HashRef::Listpack(lp) => {
                for (f, v) in lp.iter() {
                    visit(f, v);
                }
                0
            }
            HashRef::Table(m) => m.scan(cursor, count, |p| visit(p.field(), p.value())),
        }
    }

    /// An owned copy, keeping the encoding.
    pub fn to_owned(self) -> HashValue {
        match self {
            HashRef::Listpack(lp) => HashValue::Listpack(lp.to_owned()),
            HashRef::Table(m) => HashValue::Table(Box::new(m.clone())),
        }
    }
}

impl HashValue {
    pub fn new() -> HashValue {
        HashValue::default()
    }

    /// A listpack rebuilt from the parts a [`ListpackRef`] gave (an inline hash leaving
    /// its entry block to be changed).
    pub fn from_listpack(lp: ListpackRef<'_>) -> HashValue {
        HashValue::Listpack(lp.to_owned())
    }

    /// The read-only view every reader uses.
    pub fn view(&self) -> HashRef<'_> {
        match self {
            HashValue::Listpack(lp) => HashRef::Listpack(lp.view()),
            HashValue::Table(m) => HashRef::Table(m),
        }
    }

    /// The listpack, when the hash is one (the entry module inlines small ones).
    pub fn as_listpack(&self) -> Option<ListpackRef<'_>> {
        match self {
            HashValue::Listpack(lp) => Some(lp.view()),
            HashValue::Table(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        self.view().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        self.view().encoding()
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.view().get(field)
    }

    pub fn iter(&self) -> Iter<'_> {
        self.view().iter()
    }

    /// Sets `field` to `value`; true when the field is new. Converts to `hashtable`
    /// first when either is longer than the value threshold, and after when the pair
    /// count exceeds the entries threshold.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &EncodingLimits) -> bool {
        if let HashValue::Listpack(lp) = self {
            let value_max = limits.hash_max_listpack_value_bytes;
            if field.len() as u64 > value_max
                || value.len() as u64 > value_max
                || lp.bytes.len() + field.len() + value.len() > LISTPACK_BYTES_MAX
            {
                self.convert();
            }
        }
        match self {
            HashValue::Listpack(lp) => {
                let new = lp.set(field, value);
                if lp.len() as u64 > limits.hash_max_listpack_entries {
                    self.convert();
                }
                new
            }
            HashValue::Table(m) => match m.get_mut(field) {
                Some(p) => {
                    p.set_value(value);
                    false
                }
                None => {
                    m.insert(Pair::new(field, value));
                    true
                }
            },
        }
    }

    /// Removes `field`; true when it was there.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(lp) => lp.delete(field),
            HashValue::Table(m) => m.remove(field).is_some(),
        }
    }

    /// Converts to the `hashtable` encoding (no-op when already there).
    pub fn convert(&mut self) {
        if let HashValue::Listpack(lp) = self {
            let mut m = DenseMap::with_capacity(lp.len());
            for (f, v) in lp.view().iter() {
                m.insert(Pair::new(f, v));
            }
            *self = HashValue::Table(Box::new(m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const _: () = assert!(std::mem::size_of::<HashValue>() <= 24);

    use crate::util::test_rng::Rng;

    fn limits(entries: u64, value_bytes: u64) -> EncodingLimits {
        EncodingLimits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value_bytes: value_bytes,
            ..EncodingLimits::default()
        }
    }

    #[test]
    fn varints_round_trip() {
        for n in [0usize, 1, 127, 128, 300, 16383, 16384, 1 << 30] {
            let mut buf = Vec::new();
            put_len(&mut buf, n);
            assert_eq!(buf.len(), len_bytes(n));
            assert_eq!(get_len(&buf, 0), (n, buf.len()));
        }
    }

    #[test]
    fn listpack_keeps_insertion_order_and_updates_in_place() {
        let l = limits(128, 64);
        let mut h = HashValue::new();
        assert!(h.set(b"a", b"1", &l));
        assert!(h.set(b"b", b"2", &l));
        assert!(h.set(b"c", b"3", &l));
        assert!(!h.set(b"b", b"two", &l));
        assert!(!h.set(b"a", b"", &l));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b""[..]), (b"b", b"two"), (b"c", b"3")]
        );
        assert!(h.delete(b"b"));
        assert!(!h.delete(b"b"));
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn converts_past_either_threshold_and_never_back() {
        let l = limits(2, 4);
        let mut h = HashValue::new();
        h.set(b"a", b"1234", &l);
        h.set(b"b", b"1", &l);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"c", b"1", &l);
        assert_eq!(h.encoding(), "hashtable");
        h.delete(b"c");
        h.delete(b"b");
        assert_eq!(h.encoding(), "hashtable");

        let mut h = HashValue::new();
        h.set(b"a", b"12345", &l);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::new();
        h.set(b"abcde", b"1", &l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"abcde"), Some(&b"1"[..]));

        // An update alone converts once the entries limit is below the count.
        let mut h = HashValue::new();
        h.set(b"a", b"1", &l);
        h.set(b"b", b"1", &l);
        h.set(b"a", b"2", &limits(1, 4));
        assert_eq!(h.encoding(), "hashtable");

        // Zero entries allowed: the first set converts.
        let mut h = HashValue::new();
        h.set(b"a", b"1", &limits(0, 4));
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn long_strings_use_multibyte_lengths() {
        let l = limits(128, 1 << 20);
        let mut h = HashValue::new();
        let long = vec![b'x'; 20_000];
        h.set(&long, &long, &l);
        h.set(b"s", b"v", &l);
        h.set(&long, b"short", &l);
        assert_eq!(h.get(&long), Some(&b"short"[..]));
        assert_eq!(h.get(b"s"), Some(&b"v"[..]));
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn matches_a_model_under_random_operations() {
        let seed = crate::util::test_rng::seed(0x4a5b_6c7d_u64);
        let mut rng = Rng(seed | 1);
        for round in 0..40 {
            let l = limits(rng.next() % 40, 1 + rng.next() % 24);
            let mut h = HashValue::new();
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut converted = false;
            for step in 0..400 {
                let field = format!("f{}", rng.next() % 60).into_bytes();
                let ctx = format!("seed {seed} round {round} step {step}");
                match rng.next() % 5 {
                    0..=2 => {
                        let value = vec![b'v'; (rng.next() % 28) as usize];
                        let lp = h.encoding() == "listpack";
                        assert_eq!(
                            h.set(&field, &value, &l),
                            model.insert(field.clone(), value.clone()).is_none(),
                            "{ctx}"
                        );
                        let must_convert = lp
                            && (value.len() as u64 > l.hash_max_listpack_value_bytes
                                || field.len() as u64 > l.hash_max_listpack_value_bytes
                                || model.len() as u64 > l.hash_max_listpack_entries);
                        if must_convert {
                            assert_eq!(h.encoding(), "hashtable", "{ctx}");
                        } else if lp {
                            assert_eq!(h.encoding(), "listpack", "{ctx}");
                        }
                    }
                    3 => assert_eq!(h.delete(&field), model.remove(&field).is_some(), "{ctx}"),
                    _ => assert_eq!(h.get(&field), model.get(&field).map(|v| &v[..]), "{ctx}"),
                }
                if converted {
                    assert_eq!(h.encoding(), "hashtable", "never back: {ctx}");
                }
                converted = h.encoding() == "hashtable";
                assert_eq!(h.len(), model.len(), "{ctx}");
            }
            let mut all: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            all.sort();
            let mut want: Vec<_> = model.into_iter().collect();
            want.sort();
            assert_eq!(all, want, "seed {seed} round {round}");
            let pos = h.view().positions();
            assert_eq!(pos.len(), h.len());
            for i in 0..pos.len() {
                let (f, v) = pos.get(i);
                assert_eq!(h.get(f), Some(v), "seed {seed}");
            }
        }
    }

    #[test]
    fn scan_and_random_pick_cover_both_encodings() {
        for entries in [128, 4] {
            let l = limits(entries, 64);
            let mut h = HashValue::new();
            for i in 0..20 {
                h.set(format!("f{i}").as_bytes(), b"v", &l);
            }
            let mut seen = std::collections::HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = h.view().scan(cursor, 3, |f, _| {
                    seen.insert(f.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len(), 20);
            for r in 0..50 {
                let (f, _) = h.view().random_pair(r * 7919).unwrap();
                assert!(h.view().contains(f));
            }
        }
        assert!(HashValue::new().view().random_pair(1).is_none());
    }
}
