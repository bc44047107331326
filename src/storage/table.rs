//! The keyspace table of one database of one shard: extendible hashing over segments.
//!
//! A directory of `2^global_depth` slots points at segments; each segment is a small
//! open-addressing map ([`super::segment::SegMap`], slots grown in fine steps so it
//! stays 70-90% full) covering a contiguous range of the 32-bit *position* space
//! (bits 56..25 of the key's hash, disjoint from the bits a segment uses: the low 32
//! for the home slot, the top 7 for the fingerprint). A full segment
//! ([`SEGMENT_ENTRIES_MAX`]) splits in two on its own, so the table never rehashes
//! everything at once and growth has no pause. Each slot also keeps its key's access
//! data (LRU/LFU, 24 bits): [`Table::touch`], [`Table::access_of`].
//!
//! SCAN walks positions in increasing order, one segment at a time; a split only
//! divides a range, so a cursor (a position) stays valid and every key present for the
//! whole scan is returned at least once.
//!
//! Point-in-time cuts (for fork-free snapshots): every segment carries a version, the
//! table an epoch. [`Table::begin_cut`] starts a new epoch and installs a hook that sees
//! every entry present at the cut before it first changes (update through `get_mut`,
//! delete, deadline change); a walker hands out the rest, a few entries per call, with
//! [`Table::write_out_next`]. So each entry present at the cut is handed out exactly
//! once, whatever happens to the table meanwhile. The bookkeeping is in [`cut`].

use super::entry::Entry;
use super::segment::SegMap;
pub use cut::WALK_ENTRIES_PER_CALL;
use cut::{Carry, SavedSlots};

#[path = "table_cut.rs"]
mod cut;
#[cfg(test)]
use super::value::Value;
use std::hash::BuildHasher;

/// Entries a segment holds before it splits. Segments grow their slots in fine steps,
/// so this only bounds the work of one split or rebuild and the granularity of SCAN.
pub const SEGMENT_ENTRIES_MAX: usize = 1024;
/// Position space is 32 bits, so depth never exceeds 32.
const DEPTH_MAX: u8 = 32;
/// One past the last position: the "scan finished" marker.
pub const POSITION_END: u64 = 1 << 32;

struct Segment {
    depth: u8,
    map: SegMap,
    /// Entries with a deadline, so the active expiry cycle can skip segments without.
    volatile: u32,
    /// The epoch of the last cut this segment's contents were handed out for.
    version: u64,
    /// Slots a running cut already handed out one by one (see [`cut`]).
    saved: Option<SavedSlots>,
}

/// What [`Table::clear`] took out of a table (less what a running cut still needs):
/// dropping it frees the entries, on whichever thread drops it.
pub struct Cleared {
    #[expect(dead_code, reason = "held only to be dropped, which frees the entries")]
    segments: Vec<Segment>,
    keys: usize,
}

impl Cleared {
    /// The keys the table held when it was cleared.
    pub fn keys(&self) -> usize {
        self.keys
    }
}

/// Runs before a segment that belongs to the current cut changes, with its entries as
/// they are at the cut.
pub type BeforeChange = Box<dyn FnMut(&mut dyn Iterator<Item = &Entry>)>;

/// A SCAN position: `POSITION_END` when the walk is over.
pub type ScanCursor = u64;

pub struct Table {
    hasher: hashbrown::DefaultHashBuilder,
    global_depth: u8,
    directory: Vec<u32>,
    segments: Vec<Segment>,
    len: usize,
    volatile: usize,
    /// The current cut's epoch (0: never cut).
    epoch: u64,
    before_change: Option<BeforeChange>,
    /// Where `write_out_next` resumes: segment index, and slot within that segment.
    /// Segments are only ever appended or replaced in place after leaving the cut, and a
    /// segment's slots stay put until it leaves the cut, so the pair stays meaningful.
    cut_next: usize,
    cut_slot: usize,
    /// Segments CLEAR emptied out of a running cut before the walker reached them:
    /// still owed to the cut and never changed again. The walker hands them out first
    /// (the last one, from slot `retired_slot`) and frees each as it finishes it.
    retired: Vec<Segment>,
    retired_slot: usize,
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

impl Table {
    pub fn new() -> Table {
        Table {
            hasher: hashbrown::DefaultHashBuilder::default(),
            global_depth: 0,
            directory: vec![0],
            segments: vec![Segment {
                depth: 0,
                map: SegMap::default(),
                volatile: 0,
                version: 0,
                saved: None,
            }],
            len: 0,
            volatile: 0,
            epoch: 0,
            before_change: None,
            cut_next: 0,
            cut_slot: 0,
            retired: Vec::new(),
            retired_slot: 0,
        }
    }

    /// Moves every entry block of segment `index` to the allocator's current generation
    /// (active defragmentation); the number moved, or None past the last segment.
    /// Contents do not change, so a running cut is not involved.
    pub fn relocate_segment(&mut self, index: usize) -> Option<usize> {
        let seg = self.segments.get_mut(index)?;
        let mut moved = 0;
        for entry in seg.map.entries_mut() {
            entry.relocate();
            moved += 1;
        }
        Some(moved)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    pub fn segments_count(&self) -> usize {
        self.segments.len()
    }

    /// Bytes of the table's own structure (segments' slots, the directory), not
    /// counting the entries themselves.
    pub fn overhead_bytes(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.map.slot_bytes() + std::mem::size_of::<Segment>())
            .sum::<usize>()
            + self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.directory.capacity() * std::mem::size_of::<u32>()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn segment_of(&self, hash: u64) -> usize {
        self.directory[self.dir_index(position(hash))] as usize
    }

    fn dir_index(&self, pos: u32) -> usize {
        if self.global_depth == 0 {
            0
        } else {
            (pos >> (32 - self.global_depth as u32)) as usize
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        let hash = self.hash(key);
        let map = &self.segments[self.segment_of(hash)].map;
        map.find(hash, key).map(|i| map.entry(i))
    }

    /// Mutable access counts as a change for a running cut (the caller may update).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let hash = self.hash(key);
        let seg = self.segment_of(hash);
        let i = self.segments[seg].map.find(hash, key)?;
        self.preserve_entry(seg, i);
        Some(self.segments[seg].map.entry_mut(i))
    }

    /// Records an access: the key's access data becomes `touched(old)`. Returns the
    /// entry for changes (as [`Table::get_mut`]).
    pub fn touch(&mut self, key: &[u8], touched: impl FnOnce(u32) -> u32) -> Option<&mut Entry> {
        let hash = self.hash(key);
        let seg = self.segment_of(hash);
        let i = self.segments[seg].map.find(hash, key)?;
        self.preserve_entry(seg, i);
        let map = &mut self.segments[seg].map;
        map.set_access(i, touched(map.access(i)));
        Some(map.entry_mut(i))
    }

    /// The key's access data (LRU clock or LFU stamp and counter).
    pub fn access_of(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hash(key);
        let map = &self.segments[self.segment_of(hash)].map;
        map.find(hash, key).map(|i| map.access(i))
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces with access data 0; returns the previous entry.
    pub fn insert(&mut self, entry: Entry) -> Option<Entry> {
        self.insert_with_access(entry, 0)
    }

    /// Inserts or replaces, setting the key's access data; returns the previous entry.
    pub fn insert_with_access(&mut self, entry: Entry, access: u32) -> Option<Entry> {
        let hash = self.hash(entry.key());
        let mut seg_index = self.segment_of(hash);
        let mut found = self.segments[seg_index].map.find(hash, entry.key());
        // A new key for a full segment: split first, so segments stay bounded.
        let seg = &self.segments[seg_index];
        if found.is_none() && seg.map.len() >= SEGMENT_ENTRIES_MAX && seg.depth < DEPTH_MAX {
            self.split(seg_index);
            seg_index = self.segment_of(hash);
            found = None;
        }
        let new_volatile = (entry.expire_at_ms() != 0) as u32;
        let old = match found {
            Some(i) => {
                self.preserve_entry(seg_index, i);
                let map = &mut self.segments[seg_index].map;
                map.set_access(i, access);
                Some(map.replace(i, entry))
            }
            None => {
                let i = self.rebuild_marked(seg_index, |map, rehash, moved| {
                    map.insert_new_moving(hash, entry, access, rehash, moved)
                });
                self.len += 1;
                self.mark_new(seg_index, i);
                None
            }
        };
        let seg = &mut self.segments[seg_index];
        let old_volatile = old.as_ref().is_some_and(|e| e.expire_at_ms() != 0) as u32;
        seg.volatile = seg.volatile + new_volatile - old_volatile;
        self.volatile = self.volatile + new_volatile as usize - old_volatile as usize;
        old
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let hash = self.hash(key);
        let seg_index = self.segment_of(hash);
        let i = self.segments[seg_index].map.find(hash, key)?;
        self.preserve_entry(seg_index, i);
        let entry = self.segments[seg_index].map.remove_at(i);
        if self.segments[seg_index].map.needs_tidy() {
            self.rebuild_marked(seg_index, |map, rehash, moved| {
                map.tidy_moving(rehash, moved)
            });
        }
        let seg = &mut self.segments[seg_index];
        self.len -= 1;
        if entry.expire_at_ms() != 0 {
            seg.volatile -= 1;
            self.volatile -= 1;
        }
        Some(entry)
    }

    /// Sets (or clears, with 0) a key's deadline; false when the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire_at_ms: u64) -> bool {
        let hash = self.hash(key);
        let seg_index = self.segment_of(hash);
        let Some(i) = self.segments[seg_index].map.find(hash, key) else {
            return false;
        };
        self.preserve_entry(seg_index, i);
        let seg = &mut self.segments[seg_index];
        let entry = seg.map.entry_mut(i);
        let was = (entry.expire_at_ms() != 0) as u32;
        let now = (expire_at_ms != 0) as u32;
        entry.set_expire_at_ms(expire_at_ms);
        seg.volatile = seg.volatile + now - was;
        self.volatile = self.volatile + now as usize - was as usize;
        true
    }

    /// Empties the table. During a cut the segments it still needs are set aside for
    /// the walker ([`Table::retire_for_cut`]), so no entry is serialized here; the rest
    /// are returned, for the caller to free here (drop) or elsewhere.
    pub fn clear(&mut self) -> Cleared {
        let keys = self.len;
        let segments = std::mem::take(&mut self.segments);
        let segments = self.retire_for_cut(segments);
        let fresh = Table {
            hasher: self.hasher.clone(),
            epoch: self.epoch,
            before_change: self.before_change.take(),
            retired: std::mem::take(&mut self.retired),
            retired_slot: self.retired_slot,
            ..Table::new()
        };
        *self = fresh;
        self.segments[0].version = self.epoch;
        Cleared { segments, keys }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.segments.iter().flat_map(|s| s.map.iter())
    }

    /// Splits a segment in two by the next bit of the position, doubling the directory
    /// first when the segment is already as deep as the directory.
    fn split(&mut self, seg_index: usize) {
        let depth = self.segments[seg_index].depth;
        debug_assert!(depth < DEPTH_MAX);
        if depth == self.global_depth {
            self.directory = self.directory.iter().flat_map(|&s| [s, s]).collect();
            self.global_depth += 1;
        }
        // A running cut's marks go with their entries into the halves, which stay in
        // the cut (at the old segment's version) for the walker to finish.
        let marks = self.take_marks(seg_index);
        self.slots_moved(seg_index);
        let version = self.segments[seg_index].version;
        let new_index = self.segments.len() as u32;
        let bit = 1u32 << (31 - depth as u32);
        let old = std::mem::take(&mut self.segments[seg_index].map);
        let half = old.len() / 2;
        let half_segment = || Segment {
            depth: depth + 1,
            map: SegMap::with_capacity(half),
            volatile: 0,
            version,
            saved: marks.as_ref().map(|_| SavedSlots::empty()),
        };
        let (mut low, mut high) = (half_segment(), half_segment());
        let hasher = &self.hasher;
        let rehash = |k: &[u8]| hasher.hash_one(k);
        old.drain_hashed(&rehash, |from, hash, entry, access| {
            let side = if position(hash) & bit != 0 {
                &mut high
            } else {
                &mut low
            };
            side.volatile += (entry.expire_at_ms() != 0) as u32;
            let Some(side_marks) = side.saved.take() else {
                side.map.insert_new(hash, entry, access, &rehash);
                return;
            };
            let mut carry = Carry::new(side_marks);
            let to = side
                .map
                .insert_new_moving(hash, entry, access, &rehash, &mut |f, t| carry.moved(f, t));
            let mut side_marks = carry.finish();
            if marks.as_ref().is_some_and(|m| m.is_set(from)) {
                side_marks.test_and_set(to);
            }
            side.saved = Some(side_marks);
        });
        self.segments[seg_index] = low;
        self.segments.push(high);
        // Directory slots of the old segment form one aligned run; its upper half now
        // belongs to the new segment.
        let run = 1usize << (self.global_depth - depth);
        let first = self
            .directory
            .iter()
            .position(|&s| s == seg_index as u32)
            .expect("segment in directory");
        for slot in &mut self.directory[first + run / 2..first + run] {
            *slot = new_index;
        }
    }

    /// Visits up to `count` entries near a random point (for eviction): the segment at a
    /// random position, entries from a random offset in it, continuing into the following
    /// segments. With `volatile_only`, only entries with a deadline (segments without
    /// any are skipped). Picking by position, not by segment index, gives every key about
    /// the same chance: a segment's keys are about proportional to its position range
    /// (which halves at each split), as Redis's random bucket is uniform over keys.
    pub fn sample(
        &self,
        random: u64,
        count: usize,
        volatile_only: bool,
        mut visit: impl FnMut(&Entry, u32),
    ) {
        let segments_count = self.segments.len();
        let first = self.directory[self.dir_index(random as u32)] as usize;
        let mut visited = 0;
        for i in 0..segments_count {
            let seg = &self.segments[(first + i) % segments_count];
            let live = if volatile_only {
                seg.volatile as usize
            } else {
                seg.map.len()
            };
            if live == 0 {
                continue;
            }
            let skip = if i == 0 {
                ((random >> 32) % seg.map.len() as u64) as usize
            } else {
                0
            };
            let chosen = seg
                .map
                .iter_with_access()
                .cycle()
                .skip(skip)
                .take(seg.map.len())
                .filter(|(e, _)| !volatile_only || e.expire_at_ms() != 0);
            for (e, access) in chosen {
                visit(e, access);
                visited += 1;
                if visited >= count {
                    return;
                }
            }
        }
    }

    /// Visits whole segments from `cursor` on until at least `count_hint` entries were
    /// visited; returns the next cursor (`POSITION_END` when done).
    pub fn scan(
        &self,
        cursor: ScanCursor,
        count_hint: usize,
        mut visit: impl FnMut(&Entry),
    ) -> ScanCursor {
        let mut pos = cursor;
        let mut visited = 0;
        while pos < POSITION_END && visited < count_hint.max(1) {
            let seg = &self.segments[self.directory[self.dir_index(pos as u32)] as usize];
            for entry in seg.map.iter() {
                visit(entry);
            }
            visited += seg.map.len();
            pos = segment_end(pos, seg.depth);
        }
        pos
    }

    /// Removes expired entries from whole segments starting at `cursor`, examining
    /// about `budget_entries` entries of segments that hold volatile keys. Returns the
    /// next cursor (wrapping to 0), the entries examined and the keys removed (each
    /// passed to `on_expired`).
    pub fn expire_step(
        &mut self,
        cursor: ScanCursor,
        budget_entries: usize,
        now_ms: u64,
        mut on_expired: impl FnMut(&Entry),
    ) -> (ScanCursor, usize, usize) {
        let mut pos = cursor.min(POSITION_END - 1);
        let mut examined = 0;
        let mut removed = 0;
        let mut segments_seen = 0;
        while examined < budget_entries && segments_seen < self.segments.len() {
            let seg_index = self.directory[self.dir_index(pos as u32)] as usize;
            let any_expired = {
                let seg = &self.segments[seg_index];
                seg.volatile > 0 && seg.map.iter().any(|e| e.is_expired(now_ms))
            };
            if any_expired {
                self.preserve_expired(seg_index, now_ms);
            }
            let seg = &mut self.segments[seg_index];
            if seg.volatile > 0 {
                examined += seg.map.len();
                let before = seg.map.len();
                let mut gone = 0u32;
                seg.map.retain(|e| {
                    if e.is_expired(now_ms) {
                        on_expired(e);
                        gone += 1;
                        false
                    } else {
                        true
                    }
                });
                seg.volatile -= gone;
                removed += before - seg.map.len();
                if gone > 0 {
                    self.rebuild_marked(seg_index, |map, rehash, moved| {
                        map.tidy_moving(rehash, moved)
                    });
                }
            }
            segments_seen += 1;
            pos = segment_end(pos, self.segments[seg_index].depth);
            if pos >= POSITION_END {
                pos = 0;
            }
        }
        self.len -= removed;
        self.volatile -= removed;
        (pos, examined, removed)
    }

    /// A uniformly chosen segment, then a uniformly chosen entry of it (`rand` supplies
    /// random numbers). Segments hold similar counts, so this is close to uniform.
    pub fn random_entry(&self, mut rand: impl FnMut() -> u64) -> Option<&Entry> {
        if self.len == 0 {
            return None;
        }
        for _ in 0..64 {
            let seg = &self.segments[(rand() % self.segments.len() as u64) as usize];
            if seg.map.is_empty() {
                continue;
            }
            let nth = (rand() % seg.map.len() as u64) as usize;
            return seg.map.iter().nth(nth);
        }
        self.iter().next()
    }
}

/// The 32-bit position of a hash: bits 56..25, clear of the bits a segment uses (the
/// low 32 bits pick the home slot while the depth stays under 25, the top 7 are the
/// fingerprint).
fn position(hash: u64) -> u32 {
    ((hash << 7) >> 32) as u32
}

fn segment_end(pos: u64, depth: u8) -> u64 {
    let span = 1u64 << (32 - depth as u32);
    (pos / span + 1) * span
}

#[cfg(test)]
#[path = "table_cut_tests.rs"]
mod cut_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::ValueRef;
    use std::collections::{BTreeMap, BTreeSet};

    fn key(i: u64) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    use crate::util::test_rng::Rng;

    #[test]
    fn insert_get_remove_across_splits() {
        let mut t = Table::new();
        for i in 0..10_000 {
            assert!(
                t.insert(Entry::new(&key(i), Value::Int(i as i64)))
                    .is_none()
            );
        }
        assert_eq!(t.len(), 10_000);
        assert!(t.segments_count() > 10_000 / SEGMENT_ENTRIES_MAX);
        for i in 0..10_000 {
            assert!(matches!(t.get(&key(i)).unwrap().value(), ValueRef::Int(v) if v == i as i64));
        }
        for i in (0..10_000).step_by(2) {
            assert!(t.remove(&key(i)).is_some());
        }
        assert_eq!(t.len(), 5_000);
        assert!(t.get(&key(2)).is_none() && t.get(&key(3)).is_some());
    }

    #[test]
    fn randomized_against_model() {
        let seed = crate::util::test_rng::seed_or_clock();
        let mut rng = Rng(seed);
        let mut t = Table::new();
        let mut model: BTreeMap<Vec<u8>, (i64, u64)> = BTreeMap::new();
        for step in 0..50_000 {
            let k = key(rng.next() % 3000);
            match rng.next() % 4 {
                0 | 1 => {
                    let v = rng.next() as i64;
                    let ttl = if rng.next().is_multiple_of(3) {
                        1 + rng.next() % 100
                    } else {
                        0
                    };
                    t.insert(Entry::new(&k, Value::Int(v)).with_expire(ttl));
                    model.insert(k, (v, ttl));
                }
                2 => assert_eq!(
                    t.remove(&k).is_some(),
                    model.remove(&k).is_some(),
                    "seed {seed} step {step}"
                ),
                _ => {
                    let ttl = rng.next() % 50;
                    assert_eq!(t.set_expire(&k, ttl), model.contains_key(&k), "seed {seed}");
                    if let Some(m) = model.get_mut(&k) {
                        m.1 = ttl;
                    }
                }
            }
        }
        assert_eq!(t.len(), model.len(), "seed {seed}");
        assert_eq!(
            t.volatile_len(),
            model.values().filter(|m| m.1 != 0).count(),
            "seed {seed}"
        );
        for (k, (v, ttl)) in &model {
            let e = t
                .get(k)
                .unwrap_or_else(|| panic!("seed {seed}: missing key"));
            assert!(
                matches!(e.value(), ValueRef::Int(x) if x == *v),
                "seed {seed}"
            );
            assert_eq!(e.expire_at_ms(), *ttl, "seed {seed}");
        }
    }

    #[test]
    fn scan_survives_growth_between_calls() {
        let mut t = Table::new();
        for i in 0..2_000 {
            t.insert(Entry::new(&key(i), Value::Int(0)));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut next_new = 1_000_000;
        loop {
            cursor = t.scan(cursor, 10, |e| {
                seen.insert(e.key().to_vec());
            });
            // Grow the table a lot between calls: splits must not lose positions.
            for _ in 0..300 {
                t.insert(Entry::new(&key(next_new), Value::Int(0)));
                next_new += 1;
            }
            if cursor == POSITION_END {
                break;
            }
        }
        for i in 0..2_000 {
            assert!(seen.contains(&key(i)), "key {i} missed by scan");
        }
    }

    #[test]
    fn sample_gives_keys_of_shallow_and_deep_segments_the_same_chance() {
        // Grow until the first split after 3000 keys: some segments one level deeper
        // (half the range, about half the keys) than the others.
        let mut t = Table::new();
        let depths = |t: &Table| t.segments.iter().map(|s| s.depth).collect::<BTreeSet<u8>>();
        let mut n = 0;
        while n < 3_000 || depths(&t).len() == 1 {
            t.insert(Entry::new(&key(n), Value::Int(0)));
            n += 1;
        }
        let segment_of_key = |k: &[u8]| t.segment_of(t.hash(k));
        let mut hits = vec![0u64; t.segments_count()];
        let mut rng = Rng(crate::util::test_rng::seed_or_clock() | 1);
        for _ in 0..300_000 {
            t.sample(rng.next(), 1, false, |e, _| {
                hits[segment_of_key(e.key())] += 1
            });
        }
        // Hits per key of each segment: equal for uniform sampling (a segment picked
        // by index instead favours the keys of half-size, deeper segments about 2x).
        let per_key: Vec<f64> = t
            .segments
            .iter()
            .zip(&hits)
            .map(|(s, &h)| h as f64 / s.map.len() as f64)
            .collect();
        let max = per_key.iter().cloned().fold(0.0, f64::max);
        let min = per_key.iter().cloned().fold(f64::MAX, f64::min);
        assert!(max / min < 1.3, "per-key sampling rates {per_key:?}");
    }

    #[test]
    fn expire_step_removes_only_expired() {
        let mut t = Table::new();
        for i in 0..3_000 {
            let deadline = if i % 3 == 0 {
                100
            } else if i % 3 == 1 {
                10_000
            } else {
                0
            };
            t.insert(Entry::new(&key(i), Value::Int(0)).with_expire(deadline));
        }
        let mut cursor = 0;
        let mut removed_total = 0;
        for _ in 0..100 {
            let (next, _, removed) = t.expire_step(cursor, 200, 5_000, |_| {});
            removed_total += removed;
            cursor = next;
        }
        assert_eq!(removed_total, 1_000);
        assert_eq!(t.len(), 2_000);
        assert_eq!(t.volatile_len(), 1_000);
    }
}
