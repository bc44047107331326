//! [`DenseMap`]: the large encoding shared by hashes, sets and sorted sets. Items live
//! in one `Vec` (dense, so a random pick is one index), found through a
//! `hashbrown::HashTable` of `u32` positions. Removal moves the last item into the hole.
//!
//! SCAN walks positions from the top down. That order survives everything the map does
//! between two calls: an insert appends above the walk, a removal only moves the last
//! item (already visited) down, and growing the index never moves an item. So an item
//! present for the whole walk is returned at least once, as HSCAN/SSCAN/ZSCAN promise.

use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Items of a [`DenseMap`] are found by a byte key (a field or a member).
pub trait Keyed {
    fn key(&self) -> &[u8];
}

impl Keyed for Box<[u8]> {
    fn key(&self) -> &[u8] {
        self
    }
}

/// Most items a map holds: positions are `u32`.
pub const DENSE_ITEMS_MAX: usize = u32::MAX as usize;

/// One hasher for every map of the process (randomly seeded at startup), so a map does
/// not carry its own seed.
fn hasher() -> &'static hashbrown::DefaultHashBuilder {
    static HASHER: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(hashbrown::DefaultHashBuilder::default)
}

fn hash(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

#[derive(Clone)]
pub struct DenseMap<T> {
    items: Vec<T>,
    index: HashTable<u32>,
}

impl<T> Default for DenseMap<T> {
    fn default() -> Self {
        DenseMap {
            items: Vec::new(),
            index: HashTable::new(),
        }
    }
}

impl<T: Keyed> DenseMap<T> {
    pub fn with_capacity(items_count: usize) -> Self {
        DenseMap {
            items: Vec::with_capacity(items_count),
            index: HashTable::with_capacity(items_count),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn position(&self, key: &[u8]) -> Option<usize> {
        let items = &self.items;
        self.index
            .find(hash(key), |&i| items[i as usize].key() == key)
            .map(|&i| i as usize)
    }

    pub fn get(&self, key: &[u8]) -> Option<&T> {
        self.position(key).map(|i| &self.items[i])
    }

    /// Mutable access; the caller must not change the item's key.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut T> {
        self.position(key).map(|i| &mut self.items[i])
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// Inserts `item`, returning the item it replaced (same key), if any.
    pub fn insert(&mut self, item: T) -> Option<T> {
        if let Some(i) = self.position(item.key()) {
            return Some(std::mem::replace(&mut self.items[i], item));
        }
        assert!(self.items.len() < DENSE_ITEMS_MAX, "dense map full");
        let at = self.items.len() as u32;
        let items = &self.items;
        self.index
            .insert_unique(hash(item.key()), at, |&i| hash(items[i as usize].key()));
        self.items.push(item);
        None
    }

    /// Removes the item with `key`; the last item moves into its place.
    pub fn remove(&mut self, key: &[u8]) -> Option<T> {
        let at = self.position(key)?;
        Some(self.remove_at(at))
    }

    /// Removes the item at position `at` (< len).
    pub fn remove_at(&mut self, at: usize) -> T {
        let key_hash = hash(self.items[at].key());
        if let Ok(found) = self.index.find_entry(key_hash, |&i| i as usize == at) {
            found.remove();
        }
        let last = self.items.len() - 1;
        if at != last {
            let moved_hash = hash(self.items[last].key());
            let slot = self
                .index
                .find_mut(moved_hash, |&i| i as usize == last)
                .expect("every item is indexed");
            *slot = at as u32;
        }
        self.items.swap_remove(at)
    }

    /// The item at position `at` (for uniform random picks: positions are `0..len`).
    pub fn at(&self, at: usize) -> &T {
        &self.items[at]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// One SCAN step: visits up to `count` items (at least one while any are left) and
    /// returns the next cursor, 0 when the walk is over. Cursor 0 starts a walk.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(&'a T)) -> u64 {
        let len = self.items.len();
        let mut next = if cursor == 0 {
            len
        } else {
            usize::try_from(cursor).map_or(len, |c| c.min(len))
        };
        let mut visited = 0;
        while next > 0 && visited < count.max(1) {
            next -= 1;
            visit(&self.items[next]);
            visited += 1;
        }
        next as u64
    }

    /// Heap bytes of the map's own arrays (not what the items own).
    pub fn table_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<T>()
            + self.index.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn key(i: u64) -> Box<[u8]> {
        format!("k{i}").into_bytes().into()
    }

    use crate::util::test_rng::Rng;

    #[test]
    fn matches_a_model_under_random_operations() {
        let seed = crate::util::test_rng::seed(0x5eed_1234_u64);
        let mut rng = Rng(seed | 1);
        let mut map: DenseMap<Box<[u8]>> = DenseMap::default();
        let mut model: HashSet<u64> = HashSet::new();
        for step in 0..20_000 {
            let k = rng.next() % 500;
            match rng.next() % 3 {
                0 | 1 => assert_eq!(
                    map.insert(key(k)).is_none(),
                    model.insert(k),
                    "seed {seed} step {step}"
                ),
                _ => assert_eq!(
                    map.remove(&key(k)).is_some(),
                    model.remove(&k),
                    "seed {seed} step {step}"
                ),
            }
            assert_eq!(map.len(), model.len(), "seed {seed}");
        }
        for k in 0..500 {
            assert_eq!(map.contains(&key(k)), model.contains(&k), "seed {seed}");
        }
    }

    #[test]
    fn scan_returns_every_stable_item_despite_changes() {
        let seed = 0xfeed_u64;
        let mut rng = Rng(seed);
        let mut map: DenseMap<Box<[u8]>> = DenseMap::default();
        for i in 0..1000 {
            map.insert(key(i));
        }
        // Items 0..500 stay for the whole walk; 500.. come and go.
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut cursor = 0;
        let mut next_new = 1000;
        loop {
            cursor = map.scan(cursor, 7, |k| *seen.entry(k.to_vec()).or_default() += 1);
            for _ in 0..5 {
                let victim = 500 + rng.next() % (next_new - 500);
                map.remove(&key(victim));
                map.insert(key(next_new));
                next_new += 1;
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains_key(&*key(i)), "item {i} missed");
        }
    }

    #[test]
    fn scan_on_empty_map_ends_at_once() {
        let map: DenseMap<Box<[u8]>> = DenseMap::default();
        assert_eq!(map.scan(0, 10, |_| panic!("nothing to visit")), 0);
    }
}
