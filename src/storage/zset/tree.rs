//! [`Tree`]: the large sorted-set encoding (OBJECT ENCODING `skiplist`). Members live
//! once, in a slab of 32-byte `(member, score)` items with stable ids (a member of up to
//! 22 bytes inside its item, a longer one boxed), found by a
//! `hashbrown::HashTable<u32>` of ids. The order is a B+tree whose leaves hold only ids
//! (4 bytes per member) and whose inner nodes keep per-child counts, so rank lookups,
//! rank-to-member and range counts are O(log n). Inner nodes separate their children
//! with copied keys (one per leaf, a few percent of the members); a separator only has
//! to bound its neighbours, so it stays valid when the member it came from is removed.
//!
//! Every walk is a loop with an explicit path (no recursion). Removal merges a small leaf
//! into a sibling and drops empty nodes; inner nodes are not rebalanced (they only ever
//! shrink by losing children), which keeps the height bounded by the largest size the
//! set ever had.
//!
//! ZSCAN walks the slab by id: an item keeps its id for as long as it is present, so an
//! item present for the whole scan is returned exactly once; new items may or may not be.

use hashbrown::HashTable;
use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::sync::OnceLock;

const NIL: u32 = u32::MAX;
/// Most ids a leaf holds before it splits in two.
const LEAF_IDS_MAX: usize = 64;
/// Most children an inner node holds before it splits in two.
const INNER_CHILDREN_MAX: usize = 64;
/// A leaf this small after a removal merges into a sibling when both fit in one.
const LEAF_MERGE_BELOW: usize = LEAF_IDS_MAX / 4;
/// Inner levels above the leaves: splits at half of 64 children reach 2^32 items
/// (the id space) in 7 levels.
const HEIGHT_MAX: usize = 12;

/// Most members one set holds: ids are `u32` and `NIL` is reserved.
pub const TREE_ITEMS_MAX: usize = (u32::MAX - 1) as usize;

fn hasher() -> &'static hashbrown::DefaultHashBuilder {
    static HASHER: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(hashbrown::DefaultHashBuilder::default)
}

fn hash(member: &[u8]) -> u64 {
    hasher().hash_one(member)
}

/// Redis's order: by score, then by member bytes. Scores are never NaN.
pub fn key_cmp(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a_member.cmp(b_member),
        Some(o) => o,
    }
}

/// Members up to this long live inside their slab item (no heap allocation of their own).
const MEMBER_INLINE_BYTES_MAX: usize = 22;

/// A member's bytes: inline when short, boxed otherwise.
#[derive(Clone)]
enum Member {
    Inline {
        len: u8,
        bytes: [u8; MEMBER_INLINE_BYTES_MAX],
    },
    Heap(Box<[u8]>),
}

impl Member {
    const EMPTY: Member = Member::Inline {
        len: 0,
        bytes: [0; MEMBER_INLINE_BYTES_MAX],
    };

    fn new(member: &[u8]) -> Member {
        if member.len() <= MEMBER_INLINE_BYTES_MAX {
            let mut bytes = [0; MEMBER_INLINE_BYTES_MAX];
            bytes[..member.len()].copy_from_slice(member);
            Member::Inline {
                len: member.len() as u8,
                bytes,
            }
        } else {
            Member::Heap(member.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, bytes } => &bytes[..*len as usize],
            Member::Heap(b) => b,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Member::Inline { .. } => 0,
            Member::Heap(b) => b.len().max(16) + 8,
        }
    }
}

/// A slab slot; a free slot has a NaN score.
#[derive(Clone)]
struct Item {
    member: Member,
    score: f64,
}

/// 32 bytes per member in the slab, the member included when short.
const _: () = assert!(std::mem::size_of::<Item>() == 32);

#[derive(Clone)]
struct Leaf {
    ids: Vec<u32>,
    prev: u32,
    next: u32,
}

#[derive(Clone)]
struct Inner {
    children: Vec<u32>,
    counts: Vec<u32>,
    /// `seps[i]` bounds child `i+1` from below and child `i` from above (exclusive).
    seps: Vec<(f64, Box<[u8]>)>,
}

/// The inner nodes a descent went through, with the child taken at each.
struct Path {
    steps: [(u32, u32); HEIGHT_MAX],
    len: usize,
}

impl Path {
    fn new() -> Path {
        Path {
            steps: [(0, 0); HEIGHT_MAX],
            len: 0,
        }
    }

    fn push(&mut self, node: u32, child: usize) {
        self.steps[self.len] = (node, child as u32);
        self.len += 1;
    }
}

/// A position in the order: a leaf and an index in it.
#[derive(Clone, Copy)]
pub struct Cursor {
    leaf: u32,
    idx: usize,
}

#[derive(Clone)]
pub struct Tree {
    items: Vec<Item>,
    free_items: Vec<u32>,
    index: HashTable<u32>,
    leaves: Vec<Leaf>,
    free_leaves: Vec<u32>,
    inners: Vec<Inner>,
    free_inners: Vec<u32>,
    root: u32,
    /// Inner levels above the leaves (0: the root is a leaf).
    height: usize,
    len: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            items: Vec::new(),
            free_items: Vec::new(),
            index: HashTable::new(),
            leaves: vec![Leaf {
                ids: Vec::new(),
                prev: NIL,
                next: NIL,
            }],
            free_leaves: Vec::new(),
            inners: Vec::new(),
            free_inners: Vec::new(),
            root: 0,
            height: 0,
            len: 0,
        }
    }

    pub fn with_capacity(items_count: usize) -> Tree {
        let mut t = Tree::new();
        t.items.reserve_exact(items_count);
        t.index.reserve(items_count, |_| 0);
        t
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn find_id(&self, member: &[u8]) -> Option<u32> {
        let items = &self.items;
        self.index
            .find(hash(member), |&i| {
                items[i as usize].member.as_bytes() == member
            })
            .copied()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find_id(member).map(|id| self.items[id as usize].score)
    }

    fn item(&self, id: u32) -> (&[u8], f64) {
        let it = &self.items[id as usize];
        (it.member.as_bytes(), it.score)
    }

    /// Inserts a new member or moves an existing one; returns the old score.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        debug_assert!(!score.is_nan());
        if let Some(id) = self.find_id(member) {
            let old = self.items[id as usize].score;
            if old != score {
                self.order_remove(id);
                self.items[id as usize].score = score;
                self.order_insert(id);
            }
            return Some(old);
        }
        assert!(self.len < TREE_ITEMS_MAX, "sorted set full");
        let item = Item {
            member: Member::new(member),
            score,
        };
        let id = match self.free_items.pop() {
            Some(id) => {
                self.items[id as usize] = item;
                id
            }
            None => {
                self.items.push(item);
                (self.items.len() - 1) as u32
            }
        };
        let items = &self.items;
        self.index.insert_unique(hash(member), id, |&i| {
            hash(items[i as usize].member.as_bytes())
        });
        self.order_insert(id);
        self.len += 1;
        None
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let items = &self.items;
        let entry = self
            .index
            .find_entry(hash(member), |&i| {
                items[i as usize].member.as_bytes() == member
            })
            .ok()?;
        let (id, _) = entry.remove();
        let score = self.items[id as usize].score;
        self.order_remove(id);
        self.items[id as usize] = Item {
            member: Member::EMPTY,
            score: f64::NAN,
        };
        self.free_items.push(id);
        self.len -= 1;
        if self.len == 0 {
            *self = Tree::new();
        }
        Some(score)
    }

    /// Descends to the first position where `before(score, member)` is false (`before`
    /// must hold for a prefix of the order). Returns its rank and cursor.
    fn descend(&self, before: &impl Fn(f64, &[u8]) -> bool, path: &mut Path) -> (usize, Cursor) {
        let mut node = self.root;
        let mut rank = 0usize;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let j = inner.seps.partition_point(|(s, m)| before(*s, m));
            rank += inner.counts[..j].iter().map(|&c| c as usize).sum::<usize>();
            path.push(node, j);
            node = inner.children[j];
        }
        let leaf = &self.leaves[node as usize];
        let idx = leaf.ids.partition_point(|&id| {
            let (m, s) = self.item(id);
            before(s, m)
        });
        (rank + idx, Cursor { leaf: node, idx })
    }

    /// How many members come before the first one for which `before` is false.
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.descend(&before, &mut Path::new()).0
    }

    /// The 0-based rank of `member` and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let rank = self.partition_point(|s, m| key_cmp(s, m, score, member) == Ordering::Less);
        Some((rank, score))
    }

    /// The cursor at `rank` (< len).
    fn cursor_at(&self, rank: usize) -> Cursor {
        let mut node = self.root;
        let mut r = rank;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let mut j = 0;
            while j + 1 < inner.children.len() && r >= inner.counts[j] as usize {
                r -= inner.counts[j] as usize;
                j += 1;
            }
            node = inner.children[j];
        }
        Cursor { leaf: node, idx: r }
    }

    /// The member and score at `rank` (< len).
    pub fn at_rank(&self, rank: usize) -> (&[u8], f64) {
        let c = self.cursor_at(rank);
        self.item(self.leaves[c.leaf as usize].ids[c.idx])
    }

    /// Visits up to `count` members from `rank` on, ascending (or descending when `rev`:
    /// `rank` is then the ascending rank of the first member visited). `f` returns false
    /// to stop.
    pub fn walk<'s>(
        &'s self,
        rank: usize,
        count: usize,
        rev: bool,
        mut f: impl FnMut(&'s [u8], f64) -> bool,
    ) {
        if rank >= self.len || count == 0 {
            return;
        }
        let mut c = self.cursor_at(rank);
        let mut left = count;
        loop {
            let leaf = &self.leaves[c.leaf as usize];
            let (m, s) = self.item(leaf.ids[c.idx]);
            if !f(m, s) {
                return;
            }
            left -= 1;
            if left == 0 {
                return;
            }
            if rev {
                if c.idx > 0 {
                    c.idx -= 1;
                } else if leaf.prev != NIL {
                    c.leaf = leaf.prev;
                    c.idx = self.leaves[c.leaf as usize].ids.len() - 1;
                } else {
                    return;
                }
            } else if c.idx + 1 < leaf.ids.len() {
                c.idx += 1;
            } else if leaf.next != NIL {
                c.leaf = leaf.next;
                c.idx = 0;
            } else {
                return;
            }
        }
    }

    /// One ZSCAN step over slab ids from `cursor`: visits up to `count` members (at
    /// least one while any are left) and returns the next cursor, 0 at the end.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        let mut at = usize::try_from(cursor).unwrap_or(usize::MAX);
        let mut visited = 0;
        while at < self.items.len() && visited < count.max(1) {
            let it = &self.items[at];
            if !it.score.is_nan() {
                visit(it.member.as_bytes(), it.score);
                visited += 1;
            }
            at += 1;
        }
        while at < self.items.len() && self.items[at].score.is_nan() {
            at += 1;
        }
        if at >= self.items.len() { 0 } else { at as u64 }
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        let members: usize = self.items.iter().map(|i| i.member.heap_bytes()).sum();
        self.items.capacity() * std::mem::size_of::<Item>()
            + self.index.capacity() * 5
            + self.leaves.capacity() * (std::mem::size_of::<Leaf>() + (LEAF_IDS_MAX + 1) * 4)
            + self.inners.capacity() * std::mem::size_of::<Inner>()
            + members
    }

    // ---- the order ---------------------------------------------------------------------

    fn new_leaf(&mut self, leaf: Leaf) -> u32 {
        match self.free_leaves.pop() {
            Some(i) => {
                self.leaves[i as usize] = leaf;
                i
            }
            None => {
                self.leaves.push(leaf);
                (self.leaves.len() - 1) as u32
            }
        }
    }

    fn free_leaf(&mut self, i: u32) {
        self.leaves[i as usize] = Leaf {
            ids: Vec::new(),
            prev: NIL,
            next: NIL,
        };
        self.free_leaves.push(i);
    }

    fn new_inner(&mut self, inner: Inner) -> u32 {
        match self.free_inners.pop() {
            Some(i) => {
                self.inners[i as usize] = inner;
                i
            }
            None => {
                self.inners.push(inner);
                (self.inners.len() - 1) as u32
            }
        }
    }

    fn free_inner(&mut self, i: u32) {
        self.inners[i as usize] = Inner {
            children: Vec::new(),
            counts: Vec::new(),
            seps: Vec::new(),
        };
        self.free_inners.push(i);
    }

    fn order_insert(&mut self, id: u32) {
        // `<=`: a stale separator equal to the new key sends it right, where it belongs.
        let mut path = Path::new();
        let c = {
            let it = &self.items[id as usize];
            let (member, score) = (it.member.as_bytes(), it.score);
            self.descend(
                &|s, m| key_cmp(s, m, score, member) != Ordering::Greater,
                &mut path,
            )
            .1
        };
        let leaf = &mut self.leaves[c.leaf as usize];
        if leaf.ids.capacity() == 0 {
            leaf.ids.reserve_exact(LEAF_IDS_MAX + 1);
        }
        leaf.ids.insert(c.idx, id);
        let full = leaf.ids.len() > LEAF_IDS_MAX;
        for &(node, j) in &path.steps[..path.len] {
            self.inners[node as usize].counts[j as usize] += 1;
        }
        if full {
            self.split_leaf(c.leaf, &path);
        }
    }

    fn split_leaf(&mut self, left: u32, path: &Path) {
        let mut ids = Vec::with_capacity(LEAF_IDS_MAX + 1);
        let half = self.leaves[left as usize].ids.len() / 2;
        ids.extend(self.leaves[left as usize].ids.drain(half..));
        let (sep_member, sep_score) = self.item(ids[0]);
        let sep = (sep_score, Box::<[u8]>::from(sep_member));
        let right_len = ids.len() as u32;
        let left_len = half as u32;
        let next = self.leaves[left as usize].next;
        let right = self.new_leaf(Leaf {
            ids,
            prev: left,
            next,
        });
        self.leaves[left as usize].next = right;
        if next != NIL {
            self.leaves[next as usize].prev = right;
        }
        self.add_child(path, path.len, left, left_len, right, right_len, sep);
    }

    /// After node `left` (a child at depth `depth` of `path`) split into `left` and
    /// `right`, links `right` into its parent, splitting upward as needed.
    #[allow(clippy::too_many_arguments)]
    fn add_child(
        &mut self,
        path: &Path,
        mut depth: usize,
        mut left: u32,
        mut left_count: u32,
        mut right: u32,
        mut right_count: u32,
        mut sep: (f64, Box<[u8]>),
    ) {
        loop {
            if depth == 0 {
                let root = self.new_inner(Inner {
                    children: vec![left, right],
                    counts: vec![left_count, right_count],
                    seps: vec![sep],
                });
                self.root = root;
                self.height += 1;
                return;
            }
            depth -= 1;
            let (node, j) = path.steps[depth];
            let j = j as usize;
            let inner = &mut self.inners[node as usize];
            debug_assert_eq!(inner.children[j], left);
            inner.counts[j] = left_count;
            inner.children.insert(j + 1, right);
            inner.counts.insert(j + 1, right_count);
            inner.seps.insert(j, sep);
            if inner.children.len() <= INNER_CHILDREN_MAX {
                return;
            }
            let half = inner.children.len() / 2;
            let children = inner.children.split_off(half);
            let counts = inner.counts.split_off(half);
            let mut seps = inner.seps.split_off(half - 1);
            let promoted = seps.remove(0);
            left_count = inner.counts.iter().sum();
            right_count = counts.iter().sum();
            left = node;
            right = self.new_inner(Inner {
                children,
                counts,
                seps,
            });
            sep = promoted;
        }
    }

    fn order_remove(&mut self, id: u32) {
        let mut path = Path::new();
        let c = {
            let it = &self.items[id as usize];
            let (member, score) = (it.member.as_bytes(), it.score);
            self.descend(
                &|s, m| key_cmp(s, m, score, member) != Ordering::Greater,
                &mut path,
            )
            .1
        };
        // The partition point is just past the member, in the leaf that holds it.
        let leaf = &mut self.leaves[c.leaf as usize];
        debug_assert_eq!(
            c.idx.checked_sub(1).and_then(|i| leaf.ids.get(i)),
            Some(&id)
        );
        leaf.ids.remove(c.idx - 1);
        let leaf_len = leaf.ids.len();
        for &(node, j) in &path.steps[..path.len] {
            self.inners[node as usize].counts[j as usize] -= 1;
        }
        if path.len == 0 {
            return;
        }
        if leaf_len == 0 {
            self.drop_empty(c.leaf, &path);
        } else if leaf_len < LEAF_MERGE_BELOW {
            let (parent, j) = path.steps[path.len - 1];
            let p = &self.inners[parent as usize];
            let j = j as usize;
            let pair = if j + 1 < p.children.len() {
                Some(j)
            } else if j > 0 {
                Some(j - 1)
            } else {
                None
            };
            if let Some(a) = pair
                && (p.counts[a] + p.counts[a + 1]) as usize <= LEAF_IDS_MAX
            {
                self.merge_leaves(parent, a);
            }
        }
        self.collapse_root();
    }

    /// Merges child `a + 1` of `parent` (a leaf) into child `a`.
    fn merge_leaves(&mut self, parent: u32, a: usize) {
        let p = &mut self.inners[parent as usize];
        let left = p.children[a];
        let right = p.children.remove(a + 1);
        let moved = p.counts.remove(a + 1);
        p.counts[a] += moved;
        p.seps.remove(a);
        let right_leaf = std::mem::replace(
            &mut self.leaves[right as usize],
            Leaf {
                ids: Vec::new(),
                prev: NIL,
                next: NIL,
            },
        );
        let l = &mut self.leaves[left as usize];
        l.ids.extend_from_slice(&right_leaf.ids);
        l.next = right_leaf.next;
        if right_leaf.next != NIL {
            self.leaves[right_leaf.next as usize].prev = left;
        }
        self.free_leaf(right);
    }

    /// Unlinks an empty leaf and every inner node left without children.
    fn drop_empty(&mut self, leaf: u32, path: &Path) {
        let Leaf { prev, next, .. } = self.leaves[leaf as usize];
        if prev != NIL {
            self.leaves[prev as usize].next = next;
        }
        if next != NIL {
            self.leaves[next as usize].prev = prev;
        }
        self.free_leaf(leaf);
        let mut depth = path.len;
        while depth > 0 {
            depth -= 1;
            let (node, j) = path.steps[depth];
            let j = j as usize;
            let inner = &mut self.inners[node as usize];
            inner.children.remove(j);
            inner.counts.remove(j);
            if j > 0 {
                inner.seps.remove(j - 1);
            } else if !inner.seps.is_empty() {
                inner.seps.remove(0);
            }
            if !inner.children.is_empty() || depth == 0 {
                return;
            }
            self.free_inner(node);
        }
    }

    fn collapse_root(&mut self) {
        while self.height > 0 && self.inners[self.root as usize].children.len() == 1 {
            let old = self.root;
            self.root = self.inners[old as usize].children[0];
            self.free_inner(old);
            self.height -= 1;
        }
    }

    /// Checks every invariant (tests).
    #[cfg(test)]
    pub fn check(&self) {
        let mut stack = vec![(
            self.root,
            0usize,
            None::<(f64, Box<[u8]>)>,
            None::<(f64, Box<[u8]>)>,
        )];
        let mut total = 0;
        while let Some((node, level, lo, hi)) = stack.pop() {
            if level == self.height {
                let leaf = &self.leaves[node as usize];
                for w in leaf.ids.windows(2) {
                    let (a, sa) = self.item(w[0]);
                    let (b, sb) = self.item(w[1]);
                    assert_eq!(key_cmp(sa, a, sb, b), Ordering::Less);
                }
                for &id in &leaf.ids {
                    let (m, s) = self.item(id);
                    if let Some((ls, lm)) = &lo {
                        assert_ne!(key_cmp(s, m, *ls, lm), Ordering::Less);
                    }
                    if let Some((hs, hm)) = &hi {
                        assert_eq!(key_cmp(s, m, *hs, hm), Ordering::Less);
                    }
                }
                total += leaf.ids.len();
                continue;
            }
            let inner = &self.inners[node as usize];
            assert_eq!(inner.seps.len() + 1, inner.children.len());
            for (k, &child) in inner.children.iter().enumerate() {
                let clo = if k == 0 {
                    lo.clone()
                } else {
                    Some(inner.seps[k - 1].clone())
                };
                let chi = if k + 1 == inner.children.len() {
                    hi.clone()
                } else {
                    Some(inner.seps[k].clone())
                };
                let n = self.subtree_len(child, level + 1);
                assert_eq!(n, inner.counts[k] as usize);
                stack.push((child, level + 1, clo, chi));
            }
        }
        assert_eq!(total, self.len);
        assert_eq!(self.index.len(), self.len);
        // The leaf chain visits everything in order.
        let mut n = 0;
        self.walk(0, usize::MAX, false, |_, _| {
            n += 1;
            true
        });
        assert_eq!(n, self.len);
    }

    #[cfg(test)]
    fn subtree_len(&self, node: u32, level: usize) -> usize {
        let mut stack = vec![(node, level)];
        let mut n = 0;
        while let Some((node, level)) = stack.pop() {
            if level == self.height {
                n += self.leaves[node as usize].ids.len();
            } else {
                for &c in &self.inners[node as usize].children {
                    stack.push((c, level + 1));
                }
            }
        }
        n
    }
}
