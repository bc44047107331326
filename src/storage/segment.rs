//! The slots of one segment of the keyspace table: open addressing over groups of 8
//! slots, with a capacity that grows in fine steps (not powers of two), so a segment
//! stays 70-90% full at any key count and a slot costs 12 bytes: the entry's tagged
//! pointer, a 1-byte control (fingerprint) and the key's 24-bit access data (LRU clock
//! or LFU stamp and counter; see `shard::evict`).
//!
//! A group is 96 bytes without padding (8 control bytes, 8 three-byte access fields, 8
//! pointers); the groups are one allocation sized to fill a mimalloc size class, so no
//! byte the allocator hands out goes unused. The home group is `fastrange(low 32 bits
//! of the hash)` and probing goes group by group; the control byte carries the top 7
//! bits, matched 8 at a time as one u64 (SWAR, no `unsafe`), so a probe touches an entry
//! only when the fingerprint matches, and stops at the first group with an empty slot.
//! Deletion leaves a tombstone only when its group has no empty slot (so no probe
//! stopped there); a resize (a rebuild, microseconds for a segment of at most ~1000
//! entries) clears them.

use super::entry::Entry;

const GROUP_SLOTS: usize = 8;
/// Control byte of a never-used slot: a probe stops at a group holding one.
const EMPTY: u8 = 0;
/// Control byte of a slot whose entry was removed from a group with no empty slot.
const TOMBSTONE: u8 = 1;
/// A live slot's control byte has the top bit set.
const FULL_BIT: u8 = 0x80;
const ACCESS_BYTES: usize = 3;
/// Access data keeps 24 bits (Redis's `lru` field is 24 bits too).
pub const ACCESS_MASK: u32 = 0xFF_FFFF;
/// Live plus tombstone slots stay at most LOAD_MAX_TENTHS/10 of the capacity.
const LOAD_MAX_TENTHS: usize = 9;
/// A resize leaves at least entries/HEADROOM_DIV free slots under the load limit; the
/// size class it lands in (steps of 14-25%) gives the rest, so growth is amortized.
const HEADROOM_DIV: usize = 32;

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

#[derive(Default)]
struct Group {
    control: [u8; GROUP_SLOTS],
    access: [[u8; ACCESS_BYTES]; GROUP_SLOTS],
    slots: [Option<Entry>; GROUP_SLOTS],
}

const _: () = assert!(std::mem::size_of::<Group>() == 96);

impl Group {
    fn control_word(&self) -> u64 {
        u64::from_le_bytes(self.control)
    }

    /// Slots whose control byte equals `byte`: the top bit of each such byte is set.
    fn matching(&self, byte: u8) -> u64 {
        let x = self.control_word() ^ (LOW_BITS * byte as u64);
        // Exact zero-byte test (no false positives): a byte is zero iff adding 0x7F to
        // its low 7 bits leaves the top bit clear and its own top bit is clear.
        !(((x & !HIGH_BITS) + !HIGH_BITS) | x | !HIGH_BITS)
    }

    fn has_empty(&self) -> bool {
        let x = self.control_word();
        // Any zero byte (exact as a yes/no answer).
        x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS != 0
    }

    /// Slots that are empty or tombstones (free for an insert), top bit per byte.
    fn free_slots(&self) -> u64 {
        !self.control_word() & HIGH_BITS
    }

    fn access(&self, slot: usize) -> u32 {
        let [a, b, c] = self.access[slot];
        u32::from_le_bytes([a, b, c, 0])
    }

    fn set_access(&mut self, slot: usize, access: u32) {
        let [a, b, c, _] = (access & ACCESS_MASK).to_le_bytes();
        self.access[slot] = [a, b, c];
    }
}

/// The slot of the lowest byte flagged in a top-bit-per-byte mask.
fn first_slot(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// A slot index within a segment: group * 8 + slot in the group.
pub type SlotIndex = usize;

/// Told of each entry a rebuild moves: its slot before, its slot after.
pub type Moved<'a> = &'a mut dyn FnMut(SlotIndex, SlotIndex);

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

    fn home_group(&self, hash: u64) -> usize {
        ((hash as u32 as u64 * self.groups.len() as u64) >> 32) as usize
    }

    fn next_group(&self, g: usize) -> usize {
        if g + 1 == self.groups.len() { 0 } else { g + 1 }
    }

    pub fn find(&self, hash: u64, key: &[u8]) -> Option<SlotIndex> {
        if self.len == 0 {
            return None;
        }
        let control = control_of(hash);
        let mut g = self.home_group(hash);
        loop {
            let group = &self.groups[g];
            let mut candidates = group.matching(control);
            while candidates != 0 {
                let slot = first_slot(candidates);
                candidates &= candidates - 1;
                if group.slots[slot].as_ref().is_some_and(|e| e.key() == key) {
                    return Some(g * GROUP_SLOTS + slot);
                }
            }
            if group.has_empty() {
                return None;
            }
            g = self.next_group(g);
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
        self.groups[i / GROUP_SLOTS].access(i % GROUP_SLOTS)
    }

    pub fn set_access(&mut self, i: SlotIndex, access: u32) {
        self.groups[i / GROUP_SLOTS].set_access(i % GROUP_SLOTS, access);
    }

    /// Replaces the entry at a live slot, returning the old one.
    pub fn replace(&mut self, i: SlotIndex, entry: Entry) -> Entry {
        std::mem::replace(self.entry_mut(i), entry)
    }

    /// True when the next [`Self::insert_new`] rebuilds the map (so every slot index
    /// changes).
    pub fn insert_would_resize(&self) -> bool {
        (self.len + self.tombstones + 1) * 10 > self.capacity() * LOAD_MAX_TENTHS
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
        self.insert_new_moving(hash, entry, access, rehash, &mut |_, _| {})
    }

    /// [`Self::insert_new`], telling `moved` where each entry went (old slot, new slot)
    /// when the insert resizes the map.
    pub fn insert_new_moving(
        &mut self,
        hash: u64,
        entry: Entry,
        access: u32,
        rehash: &dyn Fn(&[u8]) -> u64,
        moved: Moved<'_>,
    ) -> SlotIndex {
        if self.insert_would_resize() {
            self.resize(self.len + 1, rehash, moved);
        }
        let mut g = self.home_group(hash);
        while self.groups[g].free_slots() == 0 {
            g = self.next_group(g);
        }
        let group = &mut self.groups[g];
        let slot = first_slot(group.free_slots());
        if group.control[slot] == TOMBSTONE {
            self.tombstones -= 1;
        }
        group.control[slot] = control_of(hash);
        group.set_access(slot, access);
        group.slots[slot] = Some(entry);
        self.len += 1;
        g * GROUP_SLOTS + slot
    }

    /// Removes the entry at a live slot.
    pub fn remove_at(&mut self, i: SlotIndex) -> Entry {
        let group = &mut self.groups[i / GROUP_SLOTS];
        let slot = i % GROUP_SLOTS;
        let entry = group.slots[slot].take().expect("live slot");
        // A group with an empty slot already stops every probe reaching it, so the
        // slot can be empty again; otherwise probes must go on past it.
        if group.has_empty() {
            group.control[slot] = EMPTY;
        } else {
            group.control[slot] = TOMBSTONE;
            self.tombstones += 1;
        }
        self.len -= 1;
        entry
    }

    /// After removals: rebuilds when tombstones fill a quarter of the slots (they
    /// lengthen every probe) or when the map is under a third full (giving the memory
    /// back after mass deletion or expiry).
    pub fn tidy(&mut self, rehash: &dyn Fn(&[u8]) -> u64) {
        self.tidy_moving(rehash, &mut |_, _| {});
    }

    /// [`Self::tidy`], telling `moved` where each entry went when it rebuilds.
    pub fn tidy_moving(&mut self, rehash: &dyn Fn(&[u8]) -> u64, moved: Moved<'_>) {
        if self.needs_tidy() {
            self.resize(self.len, rehash, moved);
        }
    }

    /// True when [`Self::tidy`] would rebuild the map (so every slot index changes).
    pub fn needs_tidy(&self) -> bool {
        let capacity = self.capacity();
        let shrink = capacity > 4 * GROUP_SLOTS && self.len * 3 < capacity;
        self.tombstones * 4 > capacity || shrink
    }

    /// Rebuilds with room for `entries` (dropping tombstones).
    fn resize(&mut self, entries: usize, rehash: &dyn Fn(&[u8]) -> u64, moved: Moved<'_>) {
        let old = std::mem::replace(self, SegMap::with_capacity(entries.max(self.len)));
        old.drain_hashed(rehash, |from, hash, entry, access| {
            let to = self.insert_new(hash, entry, access, rehash);
            moved(from, to);
        });
    }

    /// Every entry with its hash and access data, emptying the map. Hashing reads each
    /// key from its own block, a cache miss apiece: a group's blocks are prefetched
    /// together first, so their misses overlap (rebuilds and splits are mostly that).
    pub fn drain_hashed(
        self,
        rehash: &dyn Fn(&[u8]) -> u64,
        mut visit: impl FnMut(SlotIndex, u64, Entry, u32),
    ) {
        for (g, group) in self.groups.into_iter().enumerate() {
            for entry in group.slots.iter().flatten() {
                entry.prefetch();
            }
            let access: [u32; GROUP_SLOTS] = std::array::from_fn(|i| group.access(i));
            for (slot, (entry, access)) in group.slots.into_iter().zip(access).enumerate() {
                if let Some(entry) = entry {
                    visit(g * GROUP_SLOTS + slot, rehash(entry.key()), entry, access);
                }
            }
        }
    }

    /// Every entry, mutably (moving blocks; keys and hashes must not change).
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.groups
            .iter_mut()
            .flat_map(|g| g.slots.iter_mut().flatten())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> + Clone {
        self.groups.iter().flat_map(|g| g.slots.iter().flatten())
    }

    /// Entries with their slot indexes (stable until a resize).
    pub fn iter_indexed(&self) -> impl Iterator<Item = (SlotIndex, &Entry)> {
        self.iter_indexed_from(0)
    }

    /// [`SegMap::iter_indexed`] from slot `from` on (without visiting the groups before
    /// it).
    pub fn iter_indexed_from(&self, from: SlotIndex) -> impl Iterator<Item = (SlotIndex, &Entry)> {
        let first_group = (from / GROUP_SLOTS).min(self.groups.len());
        self.groups[first_group..]
            .iter()
            .enumerate()
            .flat_map(move |(g, group)| {
                let base = (first_group + g) * GROUP_SLOTS;
                group
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, s)| s.as_ref().map(|e| (base + i, e)))
            })
            .filter(move |(i, _)| *i >= from)
    }

    /// Entries with their access data.
    pub fn iter_with_access(&self) -> impl Iterator<Item = (&Entry, u32)> + Clone {
        self.groups.iter().flat_map(|g| {
            g.slots
                .iter()
                .enumerate()
                .filter_map(move |(i, s)| s.as_ref().map(|e| (e, g.access(i))))
        })
    }

    /// Removes the entries `keep` refuses (each is seen once).
    pub fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for i in 0..self.capacity() {
            let refused = self.groups[i / GROUP_SLOTS].slots[i % GROUP_SLOTS]
                .as_ref()
                .is_some_and(|e| !keep(e));
            if refused {
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
    fn control_bytes_match_exactly() {
        let mut g = Group {
            control: [0x80, 0x81, 0, 1, 0x80, 0xFF, 0x7F, 0x01],
            ..Group::default()
        };
        let slots =
            |mask: u64| -> Vec<usize> { (0..8).filter(|i| mask >> (i * 8 + 7) & 1 == 1).collect() };
        assert_eq!(slots(g.matching(0x80)), [0, 4]);
        assert_eq!(slots(g.matching(0x81)), [1]);
        assert_eq!(slots(g.matching(EMPTY)), [2]);
        assert_eq!(slots(g.matching(TOMBSTONE)), [3, 7]);
        assert_eq!(slots(g.matching(0xFF)), [5]);
        assert_eq!(slots(g.free_slots()), [2, 3, 6, 7]);
        assert!(g.has_empty());
        g.control[2] = 0x90;
        assert!(!g.has_empty());
        assert_eq!(first_slot(g.matching(TOMBSTONE)), 3);
        g.set_access(3, 0xABCDEF);
        assert_eq!(g.access(3), 0xABCDEF);
    }

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
        let capacity = map.capacity();
        // Keep about a tenth: the map is then under a third full and gives memory back.
        let kept = |k: &[u8]| k.len().is_multiple_of(2) && k.last() == Some(&b'7');
        map.retain(|e| kept(e.key()));
        map.tidy(&rehash);
        assert!(
            map.capacity() < capacity,
            "seed {seed}: tidy gave nothing back"
        );
        assert_eq!(map.tombstones, 0);
        model.retain(|k, _| kept(k));
        assert_eq!(map.len(), model.len(), "seed {seed}");
        assert!(!model.is_empty());
        for (k, access) in &model {
            let i = map.find(rehash(k), k).expect("present after tidy");
            assert_eq!(map.access(i), *access, "seed {seed}");
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
