//! Point-in-time cuts of a [`Table`] (fork-free snapshots), per entry.
//!
//! A cut is an epoch. Every segment still below it belongs to the cut: its entries must
//! be handed out as they were at the cut, each exactly once, either by the walker
//! ([`Table::write_out_next`], a few entries per call, marking their slots as the hook
//! does, and the segment leaves the cut once its last slot is passed) or by the
//! before-change hook.
//! The hook works at the finest grain it can: before one entry of such a segment
//! changes or goes, only that entry is handed out ([`Table::preserve_entry`]) and its
//! slot is marked in the segment's `saved` bitmap, which the walker then skips. A slot
//! filled by a new key is marked too (the key is not part of the cut). So a write costs
//! one entry's serialization, not its segment's, and a write load that touches every
//! segment copies only what it changes.
//!
//! Slot indexes change when a segment's map rebuilds (a resize on insert, a tidy after
//! removals) or splits: the marks move with their entries ([`Table::rebuild_marked`],
//! [`Carry`]) and the segment stays in the cut, so a rebuild hands out nothing. CLEAR
//! hands out nothing either: it sets the segments still in the cut aside, unchanged, for
//! the walker, which frees each once it has handed it out ([`Table::retire_for_cut`]).

use super::{BeforeChange, Segment, Table};
use crate::storage::entry::Entry;
use crate::storage::segment::{Moved, SegMap, SlotIndex};

/// Entries the walker hands out per call at most. A segment holds up to
/// [`super::SEGMENT_ENTRIES_MAX`] entries, and of 1 KB values that is ~1 MB, a
/// few hundred microseconds of copying; a step must be able to stop inside it.
pub const WALK_ENTRIES_PER_CALL: usize = 32;

/// Which slots of a segment the cut has already handed out (or that hold keys newer
/// than the cut): one bit per slot of the map's capacity at the time.
pub(super) struct SavedSlots(Box<[u64]>);

impl SavedSlots {
    fn for_map(map: &SegMap) -> SavedSlots {
        SavedSlots(vec![0u64; map.capacity().div_ceil(64)].into_boxed_slice())
    }

    pub(super) fn empty() -> SavedSlots {
        SavedSlots(Box::default())
    }

    pub(super) fn is_set(&self, i: SlotIndex) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets slot `i`'s bit (growing to reach it: a rebuilt map may have more slots);
    /// true when it was already set.
    pub(super) fn test_and_set(&mut self, i: SlotIndex) -> bool {
        let was = self.is_set(i);
        if i / 64 >= self.0.len() {
            let mut words = std::mem::take(&mut self.0).into_vec();
            words.resize(i / 64 + 1, 0);
            self.0 = words.into_boxed_slice();
        }
        self.0[i / 64] |= 1 << (i % 64);
        was
    }
}

/// A segment's marks while its entries move to other slots (a rebuild, or a split
/// filling one half): the marks by old slot, and by new slot once anything moved.
pub(super) struct Carry {
    before: SavedSlots,
    after: Option<SavedSlots>,
}

impl Carry {
    pub(super) fn new(marks: SavedSlots) -> Carry {
        Carry {
            before: marks,
            after: None,
        }
    }

    /// Entry `from` now sits at `to`.
    pub(super) fn moved(&mut self, from: SlotIndex, to: SlotIndex) {
        let after = self.after.get_or_insert_with(SavedSlots::empty);
        if self.before.is_set(from) {
            after.test_and_set(to);
        }
    }

    /// The marks by the map's slots now. When nothing moved they are the old ones: a map
    /// rebuilt without entries holds none of the cut's, so its stale bits mislead no one.
    pub(super) fn finish(self) -> SavedSlots {
        self.after.unwrap_or(self.before)
    }
}

/// Entries of `map` from slot `from` on that the cut still needs (those `saved` has no
/// bit for), with their slots.
fn unsaved<'a>(
    map: &'a SegMap,
    saved: Option<&'a SavedSlots>,
    from: SlotIndex,
) -> impl Iterator<Item = (SlotIndex, &'a Entry)> + 'a {
    map.iter_indexed_from(from)
        .filter(move |(i, _)| !saved.is_some_and(|s| s.is_set(*i)))
}

/// The segment has left the cut: it is at `epoch`, and its bitmap is no longer needed.
fn leave_cut(seg: &mut Segment, epoch: u64) {
    seg.saved = None;
    seg.version = epoch;
}

/// Hands the next [`WALK_ENTRIES_PER_CALL`] entries of `seg` the cut still needs, from
/// slot `*slot` on, to `out`, marking their slots and advancing `*slot`. True when the
/// segment's last slot was passed: it has left the cut (at `epoch`).
fn walk_piece(
    seg: &mut Segment,
    slot: &mut SlotIndex,
    epoch: u64,
    out: &mut dyn FnMut(&mut dyn Iterator<Item = &Entry>),
) -> bool {
    let saved = seg
        .saved
        .get_or_insert_with(|| SavedSlots::for_map(&seg.map));
    let mut picked = [0 as SlotIndex; WALK_ENTRIES_PER_CALL];
    let mut count = 0;
    let segment_done = {
        let mut rest = unsaved(&seg.map, Some(saved), *slot);
        for (i, _) in rest.by_ref().take(WALK_ENTRIES_PER_CALL) {
            picked[count] = i;
            count += 1;
        }
        rest.next().is_none()
    };
    for &i in &picked[..count] {
        saved.test_and_set(i);
    }
    if count > 0 {
        out(&mut picked[..count].iter().map(|&i| seg.map.entry(i)));
    }
    if segment_done {
        leave_cut(seg, epoch);
        *slot = 0;
    } else {
        *slot = picked[count - 1] + 1;
    }
    segment_done
}

impl Table {
    /// Starts a cut: a new epoch whose `hook` sees every entry of it before the entry
    /// first changes. Returns the epoch.
    pub fn begin_cut(&mut self, hook: BeforeChange) -> u64 {
        self.forget_saved();
        self.epoch += 1;
        self.before_change = Some(hook);
        self.cut_next = 0;
        self.epoch
    }

    /// Hands the next [`WALK_ENTRIES_PER_CALL`] cut entries to `out` (a piece of the
    /// walker's step), marking their slots; a segment whose last slot was passed leaves
    /// the cut. False once every segment is at the current epoch.
    pub fn write_out_next(
        &mut self,
        out: &mut dyn FnMut(&mut dyn Iterator<Item = &Entry>),
    ) -> bool {
        if let Some(seg) = self.retired.last_mut() {
            if walk_piece(seg, &mut self.retired_slot, self.epoch, out) {
                // Freed here, a segment at a time, between the shard's commands.
                self.retired.pop();
            }
            return true;
        }
        while self.cut_next < self.segments.len() {
            let seg = &mut self.segments[self.cut_next];
            if seg.version >= self.epoch {
                self.cut_next += 1;
                self.cut_slot = 0;
                continue;
            }
            if walk_piece(seg, &mut self.cut_slot, self.epoch, out) {
                self.cut_next += 1;
            }
            return true;
        }
        false
    }

    /// Ends the cut: the hook is dropped (and returned).
    pub fn end_cut(&mut self) -> Option<BeforeChange> {
        self.forget_saved();
        self.before_change.take()
    }

    /// Drops the bitmaps of an abandoned cut (they would mislead the next one), and
    /// what it still owed of cleared segments.
    fn forget_saved(&mut self) {
        for seg in &mut self.segments {
            seg.saved = None;
        }
        self.retired = Vec::new();
        self.retired_slot = 0;
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The version of every segment, in segment order (for tests and diagnostics).
    pub fn segment_versions(&self) -> impl Iterator<Item = u64> + '_ {
        self.segments.iter().map(|s| s.version)
    }

    /// `segments` are leaving the table (CLEAR): those a running cut still needs are
    /// kept for the walker (retired), whole and unchanged, so nothing is serialized
    /// inside the command (a FLUSHDB during a save of gigabytes would otherwise copy all
    /// of them into memory at once); the rest are returned, to be freed.
    pub(super) fn retire_for_cut(&mut self, mut segments: Vec<Segment>) -> Vec<Segment> {
        if self.before_change.is_some() {
            let epoch = self.epoch;
            self.retired
                .extend(segments.extract_if(.., |s| s.version < epoch));
        }
        segments
    }

    /// Before the entry at slot `i` of segment `seg_index` changes or goes: hands it to
    /// the hook if the cut still needs it, and marks its slot.
    pub(super) fn preserve_entry(&mut self, seg_index: usize, i: SlotIndex) {
        let seg = &mut self.segments[seg_index];
        if seg.version >= self.epoch {
            return;
        }
        let Some(hook) = self.before_change.as_mut() else {
            seg.version = self.epoch;
            return;
        };
        let saved = seg
            .saved
            .get_or_insert_with(|| SavedSlots::for_map(&seg.map));
        if !saved.test_and_set(i) {
            hook(&mut std::iter::once(seg.map.entry(i)));
        }
    }

    /// Before segment `seg_index`'s entries move to new slots (a rebuild or a split):
    /// the marks to carry along when the segment is in a running cut and has any. A
    /// segment of a cut whose hook is gone leaves the cut instead.
    pub(super) fn take_marks(&mut self, seg_index: usize) -> Option<SavedSlots> {
        let seg = &mut self.segments[seg_index];
        if seg.version >= self.epoch {
            return None;
        }
        if self.before_change.is_none() {
            leave_cut(seg, self.epoch);
            return None;
        }
        seg.saved.take()
    }

    /// After segment `seg_index`'s entries moved to new slots: a walker inside it starts
    /// it over (its place among the old slots means nothing now; marked slots are
    /// skipped, so nothing is handed out twice).
    pub(super) fn slots_moved(&mut self, seg_index: usize) {
        if self.cut_next == seg_index {
            self.cut_slot = 0;
        }
    }

    /// Runs `change` on segment `seg_index`'s map, which may rebuild it (reporting each
    /// entry it moves to the [`Moved`] it gets, and rehashing keys with the hash it
    /// gets). A running cut's marks move with their entries, so the segment stays in the
    /// cut and nothing is handed out: a rebuild costs microseconds, while handing out a
    /// whole segment of 1 KB values (~1 MB) took up to a millisecond inside a client's
    /// write.
    pub(super) fn rebuild_marked<R>(
        &mut self,
        seg_index: usize,
        change: impl FnOnce(&mut SegMap, &dyn Fn(&[u8]) -> u64, Moved<'_>) -> R,
    ) -> R {
        let marks = self.take_marks(seg_index);
        let hasher = &self.hasher;
        let rehash = |k: &[u8]| std::hash::BuildHasher::hash_one(hasher, k);
        let seg = &mut self.segments[seg_index];
        let Some(marks) = marks else {
            return change(&mut seg.map, &rehash, &mut |_, _| {});
        };
        let mut carry = Carry::new(marks);
        let out = change(&mut seg.map, &rehash, &mut |from, to| carry.moved(from, to));
        let moved = carry.after.is_some();
        seg.saved = Some(carry.finish());
        if moved {
            self.slots_moved(seg_index);
        }
        out
    }

    /// Before the expired entries of segment `seg_index` are removed: hands each one
    /// the cut still needs to the hook (it was alive at the cut), marking its slot.
    pub(super) fn preserve_expired(&mut self, seg_index: usize, now_ms: u64) {
        let seg = &mut self.segments[seg_index];
        if seg.version >= self.epoch {
            return;
        }
        let Some(hook) = self.before_change.as_mut() else {
            leave_cut(seg, self.epoch);
            return;
        };
        let saved = seg
            .saved
            .get_or_insert_with(|| SavedSlots::for_map(&seg.map));
        for (i, e) in seg.map.iter_indexed() {
            if e.is_expired(now_ms) && !saved.test_and_set(i) {
                hook(&mut std::iter::once(e));
            }
        }
    }

    /// After a new key filled slot `i` of segment `seg_index`: the cut must skip it.
    pub(super) fn mark_new(&mut self, seg_index: usize, i: SlotIndex) {
        let seg = &mut self.segments[seg_index];
        if seg.version < self.epoch && self.before_change.is_some() {
            let saved = seg
                .saved
                .get_or_insert_with(|| SavedSlots::for_map(&seg.map));
            saved.test_and_set(i);
        }
    }
}
