//! List values: Redis's quicklist. A list is a deque of packed [`node::Node`]s, each a
//! contiguous buffer of length-framed elements bounded by `list-max-listpack-size`
//! (positive: elements per node, within an 8 KiB safety limit; -1..-5: 4/8/16/32/64 KiB
//! per node). Pushes and pops at either end touch one end node; LINDEX, LSET, LINSERT,
//! LREM, LTRIM and LRANGE walk node by node using the per-node counts and rebuild only
//! the nodes they change. OBJECT ENCODING reports `quicklist` for every list, as Redis
//! 7.0 does. Knows nothing of commands or the network; `commands::list` builds on it.

pub mod node;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use node::{Node, framing_bytes};

/// Node sizes for fills -1..-5 (Redis's `optimization_level`).
const NODE_BYTES_BY_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// A node limited by element count never grows past this many bytes (Redis's
/// `SIZE_SAFETY_LIMIT`).
const NODE_SAFETY_BYTES_MAX: usize = 8192;
/// Redis clamps `list-max-listpack-size` to this many entries per node.
const FILL_ENTRIES_MAX: i64 = 32767;

#[derive(Clone)]
struct Inner {
    nodes: VecDeque<Node>,
    len: usize,
    /// `list-max-listpack-size` when the list was created (clamped to -5..=32767).
    fill: i32,
}

/// A list; `Value` holds it behind one pointer.
#[derive(Clone)]
pub struct ListValue {
    inner: Box<Inner>,
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue::new(-2)
    }
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl ListValue {
    /// An empty list whose nodes follow `fill` (`list-max-listpack-size`).
    pub fn new(fill: i64) -> ListValue {
        ListValue {
            inner: Box::new(Inner {
                nodes: VecDeque::new(),
                len: 0,
                fill: fill.clamp(-5, FILL_ENTRIES_MAX) as i32,
            }),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.len
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Redis 7.0's OBJECT ENCODING name for every list.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn nodes_count(&self) -> usize {
        self.inner.nodes.len()
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, DEBUG OBJECT).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Inner>()
            + self.inner.nodes.capacity() * std::mem::size_of::<Node>()
            + self
                .inner
                .nodes
                .iter()
                .map(|n| n.buf.capacity())
                .sum::<usize>()
    }

    /// May `node` take one more element of `len` bytes (Redis's
    /// `_quicklistNodeAllowInsert`)?
    fn fits(fill: i32, node: &Node, len: usize) -> bool {
        let new_bytes = node.bytes() + len + framing_bytes(len);
        if fill < 0 {
            new_bytes <= NODE_BYTES_BY_LEVEL[(-fill - 1) as usize]
        } else {
            new_bytes <= NODE_SAFETY_BYTES_MAX && (node.len() as i64) < fill as i64
        }
    }

    pub fn push(&mut self, end: End, e: &[u8]) {
        match end {
            End::Left => self.push_front(e),
            End::Right => self.push_back(e),
        }
    }

    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        match end {
            End::Left => self.pop_front(),
            End::Right => self.pop_back(),
        }
    }

    pub fn push_back(&mut self, e: &[u8]) {
        let fill = self.inner.fill;
        self.inner.len += 1;
        if let Some(last) = self.inner.nodes.back_mut()
            && Self::fits(fill, last, e.len())
        {
            return last.push_back(e);
        }
        self.inner.nodes.push_back(Node::from_elements([e]));
    }

    pub fn push_front(&mut self, e: &[u8]) {
        let fill = self.inner.fill;
        self.inner.len += 1;
        if let Some(first) = self.inner.nodes.front_mut()
            && Self::fits(fill, first, e.len())
        {
            return first.push_front(e);
        }
        self.inner.nodes.push_front(Node::from_elements([e]));
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let node = self.inner.nodes.front_mut()?;
        let out = node.pop_front();
        if node.is_empty() {
            self.inner.nodes.pop_front();
        }
        self.inner.len -= out.is_some() as usize;
        out
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let node = self.inner.nodes.back_mut()?;
        let out = node.pop_back();
        if node.is_empty() {
            self.inner.nodes.pop_back();
        }
        self.inner.len -= out.is_some() as usize;
        out
    }

    /// Removes the first or last element without returning it (after a [`Self::peek`]).
    pub fn discard(&mut self, end: End) {
        let node = match end {
            End::Left => self.inner.nodes.front_mut(),
            End::Right => self.inner.nodes.back_mut(),
        };
        let Some(node) = node else {
            return;
        };
        match end {
            End::Left => node.discard_front(),
            End::Right => node.discard_back(),
        }
        if node.is_empty() {
            match end {
                End::Left => self.inner.nodes.pop_front(),
                End::Right => self.inner.nodes.pop_back(),
            };
        }
        self.inner.len -= 1;
    }

    /// The first or last element.
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        match end {
            End::Left => self.inner.nodes.front()?.first(),
            End::Right => self.inner.nodes.back()?.last(),
        }
    }

    /// Redis index (negative counts from the tail) to a position, if in range.
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// (node, offset within node) of element `index` (< len), walking from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        let nodes = &self.inner.nodes;
        if index < self.len() / 2 {
            let mut left = index;
            for (i, n) in nodes.iter().enumerate() {
                if left < n.len() {
                    return (i, left);
                }
                left -= n.len();
            }
        } else {
            let mut right = self.len() - 1 - index;
            for (i, n) in nodes.iter().enumerate().rev() {
                if right < n.len() {
                    return (i, n.len() - 1 - right);
                }
                right -= n.len();
            }
        }
        unreachable!("index {index} within length {}", self.len())
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len() {
            return None;
        }
        let (n, off) = self.locate(index);
        self.inner.nodes[n].get(off)
    }

    /// Replaces node `n` by the nodes `build` produces, packed under the fill limit.
    fn rebuild_node(&mut self, n: usize, build: impl FnOnce(&Node, &mut dyn FnMut(&[u8]))) {
        let fill = self.inner.fill;
        let old = std::mem::take(&mut self.inner.nodes[n]);
        let mut out: Vec<Node> = Vec::new();
        let mut emit = |e: &[u8]| match out.last_mut() {
            Some(last) if Self::fits(fill, last, e.len()) => last.push_back(e),
            _ => out.push(Node::from_elements([e])),
        };
        build(&old, &mut emit);
        let before = old.len();
        let after: usize = out.iter().map(|x| x.len()).sum();
        self.inner.len = self.inner.len + after - before;
        self.inner.nodes.remove(n);
        for (i, node) in out.into_iter().enumerate() {
            self.inner.nodes.insert(n + i, node);
        }
    }

    /// LSET: replaces element `index` (< len).
    pub fn set(&mut self, index: usize, value: &[u8]) {
        let (n, off) = self.locate(index);
        self.rebuild_node(n, |old, emit| {
            for (i, e) in old.iter().enumerate() {
                emit(if i == off { value } else { e });
            }
        });
    }

    /// LINSERT: inserts `value` before or after the first `pivot`; the new length, or
    /// None when the pivot is absent.
    pub fn insert(&mut self, pivot: &[u8], after: bool, value: &[u8]) -> Option<usize> {
        let (n, off) = self
            .inner
            .nodes
            .iter()
            .enumerate()
            .find_map(|(n, node)| node.iter().position(|e| e == pivot).map(|off| (n, off)))?;
        self.rebuild_node(n, |old, emit| {
            for (i, e) in old.iter().enumerate() {
                if i == off && !after {
                    emit(value);
                }
                emit(e);
                if i == off && after {
                    emit(value);
                }
            }
        });
        Some(self.len())
    }

    /// LREM: removes up to |count| elements equal to `value` (0: all), from the head
    /// when count >= 0, from the tail otherwise. Returns how many went.
    pub fn remove(&mut self, count: i64, value: &[u8]) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().min(usize::MAX as u64) as usize
        };
        let mut removed = 0;
        let from_tail = count < 0;
        let mut n = if from_tail { self.inner.nodes.len() } else { 0 };
        loop {
            if removed >= limit {
                break;
            }
            if from_tail {
                if n == 0 {
                    break;
                }
                n -= 1;
            } else if n >= self.inner.nodes.len() {
                break;
            }
            let node = &self.inner.nodes[n];
            let matches = node.iter().filter(|e| *e == value).count();
            if matches == 0 {
                if !from_tail {
                    n += 1;
                }
                continue;
            }
            let take = matches.min(limit - removed);
            // Which matches go: the first `take` from the head, or the last from the tail.
            let skip = if from_tail { matches - take } else { 0 };
            let count_before = node.len();
            self.rebuild_node(n, |old, emit| {
                let mut seen = 0;
                for e in old.iter() {
                    if e == value {
                        seen += 1;
                        if seen > skip && seen <= skip + take {
                            continue;
                        }
                    }
                    emit(e);
                }
            });
            removed += take;
            if take == count_before {
                // The node vanished (rebuild emitted nothing).
                continue;
            }
            if !from_tail {
                n += 1;
            }
        }
        removed
    }

    /// Drops `front` elements from the head and `back` from the tail.
    pub fn trim(&mut self, front: usize, back: usize) {
        let mut front = front.min(self.len());
        let mut back = back.min(self.len() - front);
        self.inner.len -= front + back;
        while front > 0 {
            let node = self.inner.nodes.front_mut().expect("length covers it");
            if node.len() <= front {
                front -= node.len();
                self.inner.nodes.pop_front();
            } else {
                node.drop_front(front);
                front = 0;
            }
        }
        while back > 0 {
            let node = self.inner.nodes.back_mut().expect("length covers it");
            if node.len() <= back {
                back -= node.len();
                self.inner.nodes.pop_back();
            } else {
                node.drop_back(back);
                back = 0;
            }
        }
    }

    /// Elements from position `from` to the tail.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (start_node, offset) = if from < self.len() {
            self.locate(from)
        } else {
            (self.inner.nodes.len(), 0)
        };
        self.inner
            .nodes
            .iter()
            .skip(start_node)
            .enumerate()
            .flat_map(move |(i, n)| n.iter().skip(if i == 0 { offset } else { 0 }))
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.inner.nodes.iter().flat_map(|n| n.iter())
    }

    pub fn iter_rev(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.inner.nodes.iter().rev().flat_map(|n| n.iter_rev())
    }
}
