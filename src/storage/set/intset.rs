//! [`IntSet`]: Redis's `intset`, a sorted array of distinct integers packed at the
//! narrowest width that holds them all (2, 4 or 8 bytes, little-endian). One byte
//! vector: the width first, then the integers, so the set costs one pointer-sized
//! `Vec` in a [`super::SetValue`]. Adding an integer too wide for the current width
//! re-packs the whole array wider, never narrower (as Redis's `intsetUpgrade`).

/// Widths in bytes, narrowest first.
const WIDTHS: [usize; 3] = [2, 4, 8];

#[derive(Clone, Default, Debug)]
pub struct IntSet {
    /// Empty, or the width in bytes followed by `len * width` bytes.
    bytes: Vec<u8>,
}

/// The narrowest width holding `v`.
fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

fn decode(bytes: &[u8], width: usize) -> i64 {
    match width {
        2 => i16::from_le_bytes([bytes[0], bytes[1]]) as i64,
        4 => i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as i64,
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            i64::from_le_bytes(b)
        }
    }
}

/// Appends `v` at `width` bytes (the caller checked it fits).
fn encode(out: &mut Vec<u8>, v: i64, width: usize) {
    match width {
        2 => out.extend_from_slice(&(v as i16).to_le_bytes()),
        4 => out.extend_from_slice(&(v as i32).to_le_bytes()),
        _ => out.extend_from_slice(&v.to_le_bytes()),
    }
}

impl IntSet {
    /// Bytes per integer (2 while empty).
    pub fn width(&self) -> usize {
        self.bytes.first().map_or(WIDTHS[0], |&w| w as usize)
    }

    pub fn len(&self) -> usize {
        if self.bytes.is_empty() {
            0
        } else {
            (self.bytes.len() - 1) / self.width()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer at position `i` (< len), ascending.
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width();
        decode(&self.bytes[1 + i * w..], w)
    }

    /// Ok(position) when present, Err(insertion position) otherwise.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.width() && self.search(v).is_ok()
    }

    /// Adds `v`; false when present.
    pub fn insert(&mut self, v: i64) -> bool {
        let needed = width_for(v);
        if needed > self.width() {
            self.repack(needed);
        } else if self.search(v).is_ok() {
            return false;
        }
        if self.bytes.is_empty() {
            self.bytes.push(self.width() as u8);
        }
        let at = match self.search(v) {
            Ok(_) => return false,
            Err(at) => at,
        };
        let w = self.width();
        let mut packed = Vec::with_capacity(w);
        encode(&mut packed, v, w);
        let offset = 1 + at * w;
        self.bytes.splice(offset..offset, packed);
        true
    }

    /// Re-packs every integer at `width` bytes (wider than now).
    fn repack(&mut self, width: usize) {
        let mut bytes = Vec::with_capacity(1 + (self.len() + 1) * width);
        bytes.push(width as u8);
        for v in self.iter() {
            encode(&mut bytes, v, width);
        }
        self.bytes = bytes;
    }

    /// Removes `v`; false when absent.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.width() {
            return false;
        }
        match self.search(v) {
            Ok(at) => {
                self.remove_at(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes and returns the integer at position `at` (< len).
    pub fn remove_at(&mut self, at: usize) -> i64 {
        let v = self.get(at);
        let w = self.width();
        let offset = 1 + at * w;
        self.bytes.drain(offset..offset + w);
        if self.bytes.len() == 1 {
            self.bytes.clear();
        }
        v
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            front: 0,
            back: self.len(),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
    }
}

/// Ascending iteration.
pub struct Iter<'a> {
    set: &'a IntSet,
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        Some(self.set.get(self.front - 1))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_and_stay() {
        let mut s = IntSet::default();
        assert!(s.insert(5) && s.insert(-3) && !s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -3, 5, 70_000]);
        assert!(s.remove(i64::MIN) && !s.remove(i64::MAX));
        assert_eq!(s.width(), 8);
        assert!(s.contains(70_000) && !s.contains(6));
        assert_eq!(s.remove_at(0), -3);
        assert_eq!(s.len(), 2);
        s.remove(5);
        s.remove(70_000);
        assert!(s.is_empty());
        assert!(!s.contains(0));
    }

    #[test]
    fn matches_a_sorted_model() {
        let mut state = 0x1234_5678_9abc_def1_u64;
        let mut s = IntSet::default();
        let mut model = std::collections::BTreeSet::new();
        for step in 0..5000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = match state % 4 {
                0 => (state >> 8) as i16 as i64 % 50,
                1 => (state >> 8) as i32 as i64,
                2 => (state >> 3) as i64,
                _ => (state % 100) as i64 - 50,
            };
            if state.is_multiple_of(3) {
                assert_eq!(s.remove(v), model.remove(&v), "step {step}");
            } else {
                assert_eq!(s.insert(v), model.insert(v), "step {step}");
            }
            assert_eq!(s.len(), model.len(), "step {step}");
        }
        assert!(s.iter().eq(model.iter().copied()));
    }
}
