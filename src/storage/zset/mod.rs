//! Sorted-set values: member-score pairs ordered by (score, member bytes), as Redis 7.0
//! keeps them. Small sets use the `listpack` encoding, one contiguous buffer of entries
//! in order (linear scans, as Redis's listpack); past `zset-max-listpack-entries`
//! members or a member longer than `zset-max-listpack-value` bytes a set converts, for
//! good, to the `skiplist` encoding ([`tree::Tree`]: a slab, a hash index and an
//! order-statistic B+tree). Sets built whole by a command (ZUNIONSTORE, ZRANGESTORE, ...)
//! pick their encoding by size, as Redis does. Knows nothing of commands or the network;
//! `commands::zset` builds the commands on it.
//!
//! Scores are `f64` and never NaN. The listpack stores -0 as 0, like Redis's text
//! encoding of scores; the skiplist keeps -0.

pub mod tree;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use crate::config::EncodingLimits;
pub use tree::{Tree, key_cmp};

/// The conversion thresholds, from `zset-max-listpack-entries` / `-value`.
#[derive(Clone, Copy, Debug)]
pub struct ZLimits {
    pub entries: usize,
    pub value_bytes: usize,
}

impl ZLimits {
    pub fn from_settings(e: &EncodingLimits) -> ZLimits {
        ZLimits {
            entries: usize::try_from(e.zset_max_listpack_entries).unwrap_or(usize::MAX),
            value_bytes: usize::try_from(e.zset_max_listpack_value_bytes).unwrap_or(usize::MAX),
        }
    }

    /// Whether a set of `len` members, the longest `member_bytes_max` long, is a listpack.
    pub fn fits_listpack(self, len: usize, member_bytes_max: usize) -> bool {
        len <= self.entries && member_bytes_max <= self.value_bytes
    }
}

/// Bytes of the listpack header (the member count).
const LP_HEADER_BYTES: usize = 4;
/// An entry's score (8 bytes) and its member length as a varint (at most 10 bytes).
const LP_ENTRY_HEAD_BYTES_MAX: usize = 18;

/// The compact encoding: a count, then entries `[score f64 LE][varint len][member]`
/// sorted by (score, member).
#[derive(Clone)]
pub struct Listpack {
    buf: Vec<u8>,
}

/// One listpack entry as read at an offset.
struct LpEntry<'a> {
    score: f64,
    member: &'a [u8],
    next: usize,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl Listpack {
    pub fn new() -> Listpack {
        Listpack {
            buf: vec![0; LP_HEADER_BYTES],
        }
    }

    pub fn len(&self) -> usize {
        let mut n = [0u8; 4];
        n.copy_from_slice(&self.buf[..LP_HEADER_BYTES]);
        u32::from_le_bytes(n) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_len(&mut self, len: usize) {
        self.buf[..LP_HEADER_BYTES].copy_from_slice(&(len as u32).to_le_bytes());
    }

    fn entry(&self, off: usize) -> LpEntry<'_> {
        let mut s = [0u8; 8];
        s.copy_from_slice(&self.buf[off..off + 8]);
        let mut p = off + 8;
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = self.buf[p];
            p += 1;
            len |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        LpEntry {
            score: f64::from_le_bytes(s),
            member: &self.buf[p..p + len],
            next: p + len,
        }
    }

    /// Entries in order with their offsets.
    fn entries(&self) -> impl Iterator<Item = (usize, LpEntry<'_>)> {
        let mut off = LP_HEADER_BYTES;
        std::iter::from_fn(move || {
            if off >= self.buf.len() {
                return None;
            }
            let e = self.entry(off);
            let at = off;
            off = e.next;
            Some((at, e))
        })
    }

    /// Offset, rank and score of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        self.entries()
            .enumerate()
            .find(|(_, (_, e))| e.member == member)
            .map(|(rank, (off, e))| (off, rank, e.score))
    }

    fn remove_at(&mut self, off: usize) {
        let next = self.entry(off).next;
        self.buf.drain(off..next);
        let len = self.len();
        self.set_len(len - 1);
    }

    /// Inserts a member known to be absent, in order.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        let score = if score == 0.0 { 0.0 } else { score };
        let at = self
            .entries()
            .find(|(_, e)| key_cmp(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |(off, _)| off);
        // [score][varint length] on the stack, then the member: no allocation beyond
        // growing the buffer.
        let mut head = [0u8; LP_ENTRY_HEAD_BYTES_MAX];
        head[..8].copy_from_slice(&score.to_le_bytes());
        let mut head_len = 8;
        let mut v = member.len();
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            head[head_len] = if v == 0 { byte } else { byte | 0x80 };
            head_len += 1;
            if v == 0 {
                break;
            }
        }
        let total = head_len + member.len();
        let old_len = self.buf.len();
        self.buf.resize(old_len + total, 0);
        self.buf.copy_within(at..old_len, at + total);
        self.buf[at..at + head_len].copy_from_slice(&head[..head_len]);
        self.buf[at + head_len..at + total].copy_from_slice(member);
        let len = self.len();
        self.set_len(len + 1);
    }

    fn offset_at(&self, rank: usize) -> usize {
        self.entries()
            .nth(rank)
            .map_or(self.buf.len(), |(off, _)| off)
    }
}

/// A sorted set in one of Redis's two encodings.
#[derive(Clone)]
pub enum ZSetValue {
    Listpack(Listpack),
    Skiplist(Box<Tree>),
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::Listpack(Listpack::new())
    }
}

impl ZSetValue {
    /// An empty set as ZADD creates it: a listpack unless the limits rule one out for
    /// a first member of `first_member_bytes`.
    pub fn new_for(limits: ZLimits, first_member_bytes: usize) -> ZSetValue {
        if limits.entries == 0 || first_member_bytes > limits.value_bytes {
            ZSetValue::Skiplist(Box::default())
        } else {
            ZSetValue::default()
        }
    }

    /// A set built whole from distinct members (a *STORE destination or a result),
    /// encoded by its size.
    pub fn from_pairs<'a>(
        pairs: impl Iterator<Item = (&'a [u8], f64)> + Clone,
        limits: ZLimits,
    ) -> ZSetValue {
        let (len, longest) = pairs
            .clone()
            .fold((0, 0), |(n, l), (m, _)| (n + 1, m.len().max(l)));
        let mut z = if limits.fits_listpack(len, longest) {
            ZSetValue::default()
        } else {
            ZSetValue::Skiplist(Box::new(Tree::with_capacity(len)))
        };
        for (m, s) in pairs {
            z.insert_raw(m, s);
        }
        z
    }

    pub fn len(&self) -> usize {
        match self {
            ZSetValue::Listpack(l) => l.len(),
            ZSetValue::Skiplist(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSetValue::Listpack(_) => "listpack",
            ZSetValue::Skiplist(_) => "skiplist",
        }
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, DEBUG OBJECT).
    pub fn heap_bytes(&self) -> usize {
        match self {
            ZSetValue::Listpack(l) => l.buf.capacity(),
            ZSetValue::Skiplist(t) => t.heap_bytes() + std::mem::size_of::<Tree>(),
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Listpack(l) => l.find(member).map(|(_, _, s)| s),
            ZSetValue::Skiplist(t) => t.score(member),
        }
    }

    /// Adds `member` or changes its score (no change when the score is equal); returns
    /// the old score. Converts to the skiplist encoding first when a new member would
    /// pass the limits.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: ZLimits) -> Option<f64> {
        if let ZSetValue::Listpack(l) = self {
            match l.find(member) {
                Some((off, _, old)) => {
                    if old != score {
                        l.remove_at(off);
                        l.insert_new(member, score);
                    }
                    return Some(old);
                }
                None => {
                    if l.len() < limits.entries && member.len() <= limits.value_bytes {
                        l.insert_new(member, score);
                        return None;
                    }
                    self.convert_to_skiplist();
                }
            }
        }
        self.insert_raw(member, score)
    }

    /// Insert or update without any conversion.
    fn insert_raw(&mut self, member: &[u8], score: f64) -> Option<f64> {
        match self {
            ZSetValue::Listpack(l) => match l.find(member) {
                Some((off, _, old)) => {
                    if old != score {
                        l.remove_at(off);
                        l.insert_new(member, score);
                    }
                    Some(old)
                }
                None => {
                    l.insert_new(member, score);
                    None
                }
            },
            ZSetValue::Skiplist(t) => t.insert(member, score),
        }
    }

    /// Moves a listpack's members into a skiplist (nothing for a skiplist): when a
    /// limit is passed, and for SORT, which converts as Redis does.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSetValue::Listpack(l) = self {
            let mut t = Tree::with_capacity(l.len() + 1);
            for (_, e) in l.entries() {
                t.insert(e.member, e.score);
            }
            *self = ZSetValue::Skiplist(Box::new(t));
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Listpack(l) => {
                let (off, _, score) = l.find(member)?;
                l.remove_at(off);
                Some(score)
            }
            ZSetValue::Skiplist(t) => t.remove(member),
        }
    }

    /// The 0-based ascending rank of `member`, and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSetValue::Listpack(l) => l.find(member).map(|(_, r, s)| (r, s)),
            ZSetValue::Skiplist(t) => t.rank(member),
        }
    }

    /// How many members come before the first for which `before(score, member)` is
    /// false; `before` must hold for a prefix of the order (a range bound).
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSetValue::Listpack(l) => l
                .entries()
                .take_while(|(_, e)| before(e.score, e.member))
                .count(),
            ZSetValue::Skiplist(t) => t.partition_point(before),
        }
    }

    /// The member and score at ascending `rank` (< len).
    pub fn at_rank(&self, rank: usize) -> (&[u8], f64) {
        match self {
            ZSetValue::Listpack(l) => {
                let e = l.entry(l.offset_at(rank));
                (e.member, e.score)
            }
            ZSetValue::Skiplist(t) => t.at_rank(rank),
        }
    }

    /// Visits up to `count` members starting at ascending `rank`, going up (or down
    /// when `rev`). `f` returns false to stop.
    pub fn walk<'s>(
        &'s self,
        rank: usize,
        count: usize,
        rev: bool,
        mut f: impl FnMut(&'s [u8], f64) -> bool,
    ) {
        if rank >= self.len() || count == 0 {
            return;
        }
        match self {
            ZSetValue::Skiplist(t) => t.walk(rank, count, rev, f),
            ZSetValue::Listpack(l) if !rev => {
                for (_, e) in l.entries().skip(rank).take(count) {
                    if !f(e.member, e.score) {
                        return;
                    }
                }
            }
            ZSetValue::Listpack(l) => {
                let first = (rank + 1).saturating_sub(count);
                let offsets: Vec<usize> = l
                    .entries()
                    .skip(first)
                    .take(rank + 1 - first)
                    .map(|(off, _)| off)
                    .collect();
                for &off in offsets.iter().rev() {
                    let e = l.entry(off);
                    if !f(e.member, e.score) {
                        return;
                    }
                }
            }
        }
    }

    /// Removes the members of ascending ranks `start..start+count`; returns how many.
    pub fn remove_ranks(&mut self, start: usize, count: usize) -> usize {
        let end = start.saturating_add(count).min(self.len());
        if start >= end {
            return 0;
        }
        match self {
            ZSetValue::Listpack(l) => {
                let a = l.offset_at(start);
                let b = l.offset_at(end);
                l.buf.drain(a..b);
                let len = l.len();
                l.set_len(len - (end - start));
            }
            ZSetValue::Skiplist(t) => {
                let mut victims = Vec::with_capacity(end - start);
                t.walk(start, end - start, false, |m, _| {
                    victims.push(m.to_vec());
                    true
                });
                for m in &victims {
                    t.remove(m);
                }
            }
        }
        end - start
    }

    /// One ZSCAN step: a listpack is returned whole (cursor 0 next, as Redis); a
    /// skiplist visits up to `count` members from `cursor`.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSetValue::Listpack(l) => {
                for (_, e) in l.entries() {
                    visit(e.member, e.score);
                }
                0
            }
            ZSetValue::Skiplist(t) => t.scan(cursor, count, visit),
        }
    }
}
