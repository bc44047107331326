//! The slots of one segment of the keyspace table: open addressing with linear probing
//! over a capacity that grows in fine steps (not powers of two), so a segment stays
//! 70-90% full at any key count and a slot costs 12 bytes: the entry's tagged pointer
//! and a u32 holding a 1-byte control (fingerprint) and the key's 24-bit access data
//! (LRU clock or LFU stamp and counter; see `shard::evict`).
//!
//! Slots come in groups of 8 (`meta` then `slots`, 96 bytes, no padding), in one
//! allocation whose size is fitted to mimalloc's size classes so no byte the allocator
//! hands out goes unused. The home slot is `fastrange(low 32 bits of the hash)`, the
//! control byte carries the top 7 bits, so a probe touches an entry only when the
//! fingerprint matches. Deletion leaves a tombstone unless the next slot is empty;
//! a resize (rebuild, microseconds for a segment of at most ~1000 entries) clears them.
//! No `unsafe` here: entries are handed out as `&Entry` / `&mut Entry` to the slot.

use super::entry::Entry;

const GROUP_SLOTS: usize = 8;
/// Control byte of a never-used slot: a probe stops here.
const EMPTY: u8 = 0;
/// Control byte of a slot whose entry was removed: a probe goes on.
const TOMBSTONE: u8 = 1;
/// A live slot's control byte has the top bit set.
const FULL_BIT: u8 = 0x80;
const ACCESS_SHIFT: u32 = 8;
/// Access data keeps 24 bits (Redis's `lru` field is 24 bits too).
pub const ACCESS_MASK: u32 = 0xFF_FFFF;
/// Live plus tombstone slots stay at most LOAD_MAX_TENTHS/10 of the capacity.
const LOAD_MAX_TENTHS: usize = 9;
/// A resize leaves at least entries/HEADROOM_DIV free slots under the load limit; the
/// size class it lands in (steps of 14-25%) gives the rest, so growth is amortized.
const HEADROOM_DIV: usize = 32;

#[derive(Default)]
struct Group {
    meta: [u32; GROUP_SLOTS],
    slots: [Option<Entry>; GROUP_SLOTS],
}

/// A slot index within a segment.
pub type SlotIndex = usize;

#[derive(Default)]
pub struct SegMap {
    groups: Box<[Group]>,
    len: usize,
    tombstones: usize,
}

/// The fingerprint control byte of a hash.
fn control_of(hash: u64) -> u8 {
    FULL_BIT | (hash >> 57) as u8
}

/// Bytes mimalloc really hands out for a request of `bytes` (its size classes: 16-byte
/// steps up to 64, then four classes per power of two).
fn allocator_class_bytes(bytes: usize) -> usize {
    let words = bytes.div_ceil(8);
    if words <= 8 {
        return words.next_multiple_of(2).max(2) * 8;
    }
    let w = words - 1;
    let top = usize::BITS - 1 - w.leading_zeros();
    let unit = 1usize << (top - 2);
    ((w >> (top - 2)) + 1) * unit * 8
}

/// Groups for `entries` (plus a little headroom) under the load limit, rounded up to
/// fill the allocator's size class: the smallest class that fits.
fn groups_for(entries: usize) -> usize {
    let wanted = entries + entries / HEADROOM_DIV + 1;
    let slots = (wanted * 10).div_ceil(LOAD_MAX_TENTHS);
    let groups = slots.div_ceil(GROUP_SLOTS).max(1);
    let group_bytes = std::mem::size_of::<Group>();
    allocator_class_bytes(groups * group_bytes) / group_bytes
}

impl SegMap {
    /// An empty map with room for `entries` without a resize.
    pub fn with_capacity(entries: usize) -> SegMap {
        let groups = if entries == 0 { 0 } else { groups_for(entries) };
        SegMap {
            groups: (0..groups).map(|_| Group::default()).collect(),
            len: 0,
            tombstones: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.groups.len() * GROUP_SLOTS
    }

    /// Bytes of the slot allocation.
    pub fn slot_bytes(&self) -> usize {
        self.groups.len() * std::mem::size_of::<Group>()
    }

    fn meta(&self, i: SlotIndex) -> u32 {
        self.groups[i / GROUP_SLOTS].meta[i % GROUP_SLOTS]
    }

    fn set_meta(&mut self, i: SlotIndex, meta: u32) {
        self.groups[i / GROUP_SLOTS].meta[i % GROUP_SLOTS] = meta;
    }

    fn home(&self, hash: u64) -> SlotIndex {
        ((hash as u32 as u64 * self.capacity() as u64) >> 32) as usize
    }

    fn next(&self, i: SlotIndex) -> SlotIndex {
        if i + 1 == self.capacity() { 0 } else { i + 1 }
    }

    pub fn find(&self, hash: u64, key: &[u8]) -> Option<SlotIndex> {
        if self.len == 0 {
            return None;
        }
        let control = control_of(hash);
        let mut i = self.home(hash);
        loop {
            let c = self.meta(i) as u8;
            if c == EMPTY {
                return None;
            }
            if c == control && self.entry(i).key() == key {
                return Some(i);
            }
            i = self.next(i);
        }
    }

    /// The entry at a live slot.
    pub fn entry(&self, i: SlotIndex) -> &Entry {
        self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS]
            .as_ref()
            .expect("live slot")
    }

    pub fn entry_mut(&mut self, i: SlotIndex) -> &mut Entry {
        self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS]
            .as_mut()
            .expect("live slot")
    }

    pub fn access(&self, i: SlotIndex) -> u32 {
        self.meta(i) >> ACCESS_SHIFT
    }

    pub fn set_access(&mut self, i: SlotIndex, access: u32) {
        let control = self.meta(i) & 0xFF;
        self.set_meta(i, control | ((access & ACCESS_MASK) << ACCESS_SHIFT));
    }

    /// Replaces the entry at a live slot, returning the old one.
    pub fn replace(&mut self, i: SlotIndex, entry: Entry) -> Entry {
        std::mem::replace(self.entry_mut(i), entry)
    }

    /// Inserts a key known to be absent; `rehash` gives the hash of a stored key (a
    /// resize needs it).
    pub fn insert_new(
        &mut self,
        hash: u64,
        entry: Entry,
        access: u32,
        rehash: &dyn Fn(&[u8]) -> u64,
    ) -> SlotIndex {
        if (self.len + self.tombstones + 1) * 10 > self.capacity() * LOAD_MAX_TENTHS {
            self.resize(self.len + 1, rehash);
        }
        let mut i = self.home(hash);
        while self.meta(i) as u8 & FULL_BIT != 0 {
            i = self.next(i);
        }
        if self.meta(i) as u8 == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.set_meta(
            i,
            control_of(hash) as u32 | ((access & ACCESS_MASK) << ACCESS_SHIFT),
        );
        self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS] = Some(entry);
        self.len += 1;
        i
    }

    /// Removes the entry at a live slot.
    pub fn remove_at(&mut self, i: SlotIndex) -> Entry {
        let entry = self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS]
            .take()
            .expect("live slot");
        self.len -= 1;
        // A slot followed by an empty one ends every probe through it, so it can be
        // empty too, and so can the tombstones just before it.
        if self.meta(self.next(i)) as u8 == EMPTY {
            let mut j = i;
            self.set_meta(j, EMPTY as u32);
            loop {
                j = if j == 0 { self.capacity() - 1 } else { j - 1 };
                if self.meta(j) as u8 != TOMBSTONE {
                    break;
                }
                self.set_meta(j, EMPTY as u32);
                self.tombstones -= 1;
            }
        } else {
            self.set_meta(i, TOMBSTONE as u32);
            self.tombstones += 1;
        }
        entry
    }

    /// Rebuilds with room for `entries` (dropping tombstones).
    fn resize(&mut self, entries: usize, rehash: &dyn Fn(&[u8]) -> u64) {
        let old = std::mem::replace(self, SegMap::with_capacity(entries.max(self.len)));
        for (entry, access) in old.into_entries() {
            let hash = rehash(entry.key());
            self.insert_new(hash, entry, access, rehash);
        }
    }

    /// Every entry with its access data, emptying the map.
    pub fn into_entries(self) -> impl Iterator<Item = (Entry, u32)> {
        self.groups.into_iter().flat_map(|g| {
            let Group { meta, slots } = g;
            slots
                .into_iter()
                .zip(meta)
                .filter_map(|(s, m)| s.map(|e| (e, m >> ACCESS_SHIFT)))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> + Clone {
        self.groups.iter().flat_map(|g| g.slots.iter().flatten())
    }

    /// Entries with their access data.
    pub fn iter_with_access(&self) -> impl Iterator<Item = (&Entry, u32)> + Clone {
        self.groups.iter().flat_map(|g| {
            g.slots
                .iter()
                .zip(g.meta)
                .filter_map(|(s, m)| s.as_ref().map(|e| (e, m >> ACCESS_SHIFT)))
        })
    }

    /// Removes the entries `keep` refuses (each is seen once).
    pub fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for i in 0..self.capacity() {
            let live = self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS]
                .as_ref()
                .is_some_and(|e| !keep(e));
            if live {
                self.remove_at(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Value;
    use crate::util::test_rng::{Rng, seed_or_clock};
    use std::collections::BTreeMap;
    use std::hash::BuildHasher;

    #[test]
    fn allocator_classes_match_mimalloc() {
        assert_eq!(allocator_class_bytes(48), 48);
        assert_eq!(allocator_class_bytes(56), 64);
        assert_eq!(allocator_class_bytes(65), 80);
        assert_eq!(allocator_class_bytes(13_008), 14_336);
        assert_eq!(allocator_class_bytes(8192), 8192);
        assert_eq!(allocator_class_bytes(8193), 10_240);
    }

    #[test]
    fn randomized_against_model() {
        let seed = seed_or_clock();
        let mut rng = Rng(seed | 1);
        let hasher = hashbrown::DefaultHashBuilder::default();
        let rehash = |k: &[u8]| hasher.hash_one(k);
        let mut map = SegMap::default();
        let mut model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        for step in 0..40_000 {
            let key = format!("k{}", rng.below(1500)).into_bytes();
            let hash = rehash(&key);
            match rng.below(3) {
                0 | 1 => {
                    let access = rng.next() as u32 & ACCESS_MASK;
                    match map.find(hash, &key) {
                        Some(i) => map.set_access(i, access),
                        None => {
                            map.insert_new(hash, Entry::new(&key, Value::Int(1)), access, &rehash);
                        }
                    }
                    model.insert(key, access);
                }
                _ => {
                    let found = map.find(hash, &key).map(|i| map.remove_at(i));
                    assert_eq!(
                        found.is_some(),
                        model.remove(&key).is_some(),
                        "seed {seed} step {step}"
                    );
                }
            }
            assert_eq!(map.len(), model.len(), "seed {seed} step {step}");
            assert!(
                map.capacity() == 0 || map.len() + map.tombstones < map.capacity(),
                "seed {seed} step {step} len {} tombs {} cap {}",
                map.len(),
                map.tombstones,
                map.capacity()
            );
        }
        for (k, access) in &model {
            let i = map.find(rehash(k), k).expect("present");
            assert_eq!(map.access(i), *access, "seed {seed}");
        }
        assert_eq!(map.iter().count(), model.len());
        map.retain(|e| e.key().len() % 2 == 0);
        assert!(map.iter().all(|e| e.key().len() % 2 == 0));
        for k in model.keys() {
            assert_eq!(
                map.find(rehash(k), k).is_some(),
                k.len() % 2 == 0,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn load_stays_high_while_growing() {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let rehash = |k: &[u8]| hasher.hash_one(k);
        let mut map = SegMap::default();
        let mut lowest = 1.0f64;
        for i in 0..1000u32 {
            let key = i.to_be_bytes();
            map.insert_new(rehash(&key), Entry::new(&key, Value::Int(0)), 0, &rehash);
            if i >= 100 {
                lowest = lowest.min(map.len() as f64 / map.capacity() as f64);
            }
        }
        assert!(lowest > 0.65, "load fell to {lowest}");
    }
}
