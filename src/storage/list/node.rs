//! One node of a list: a contiguous buffer of packed elements, Redis's listpack reduced
//! to what a list needs. Each element is `varint(len) bytes rev_varint(len)`: the length
//! before it for walking forward, and the same length written backwards after it for
//! walking backward (the last byte of the suffix is the first byte of the varint). An
//! element under 128 bytes costs two bytes of framing.

/// Bytes of framing one element of `len` bytes needs (prefix plus suffix).
pub fn framing_bytes(len: usize) -> usize {
    2 * varint_bytes(len)
}

fn varint_bytes(mut len: usize) -> usize {
    let mut n = 1;
    while len >= 0x80 {
        len >>= 7;
        n += 1;
    }
    n
}

/// Longest varint of a `usize`.
const VARINT_BYTES_MAX: usize = 10;

/// Writes the varint of `len` into `out`; returns its length.
fn encode_varint(out: &mut [u8; VARINT_BYTES_MAX], mut len: usize) -> usize {
    let mut n = 0;
    while len >= 0x80 {
        out[n] = (len as u8 & 0x7f) | 0x80;
        len >>= 7;
        n += 1;
    }
    out[n] = len as u8;
    n + 1
}

fn put_varint(out: &mut Vec<u8>, len: usize) {
    let mut tmp = [0u8; VARINT_BYTES_MAX];
    let n = encode_varint(&mut tmp, len);
    out.extend_from_slice(&tmp[..n]);
}

/// Appends one framed element to `out`.
pub fn put_element(out: &mut Vec<u8>, e: &[u8]) {
    put_varint(out, e.len());
    out.extend_from_slice(e);
    let start = out.len();
    put_varint(out, e.len());
    out[start..].reverse();
}

/// Reads the varint at `buf[at..]`: (value, bytes used).
fn get_varint(buf: &[u8], at: usize) -> (usize, usize) {
    let mut value = 0usize;
    let mut shift = 0;
    let mut i = at;
    loop {
        let b = buf[i];
        value |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (value, i - at);
        }
        shift += 7;
    }
}

/// Reads the reversed varint ending just before `end`: (value, bytes used).
fn get_rev_varint(buf: &[u8], end: usize) -> (usize, usize) {
    let mut value = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let b = buf[i];
        value |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            return (value, end - i);
        }
        shift += 7;
    }
}

/// A packed node: `count` elements framed back to back in `buf`.
#[derive(Clone, Default)]
pub struct Node {
    pub buf: Vec<u8>,
    pub count: u32,
}

impl Node {
    pub fn from_elements<'a>(elements: impl IntoIterator<Item = &'a [u8]>) -> Node {
        let mut n = Node::default();
        for e in elements {
            n.push_back(e);
        }
        n
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Grows the buffer for `n` more bytes in powers of two, so a full node of the
    /// default 8 KiB uses exactly its size (a node's first element gets exactly its size).
    fn grow_for(&mut self, n: usize) {
        let need = self.buf.len() + n;
        if need > self.buf.capacity() {
            let target = if self.count == 0 {
                need
            } else {
                need.next_power_of_two()
            };
            self.buf.reserve_exact(target - self.buf.len());
        }
    }

    pub fn push_back(&mut self, e: &[u8]) {
        self.grow_for(e.len() + framing_bytes(e.len()));
        put_element(&mut self.buf, e);
        self.count += 1;
    }

    /// Inserts at the front: shifts the node's bytes (a node is bounded in size).
    pub fn push_front(&mut self, e: &[u8]) {
        let mut varint = [0u8; VARINT_BYTES_MAX];
        let v = encode_varint(&mut varint, e.len());
        let framed = 2 * v + e.len();
        let old = self.buf.len();
        self.grow_for(framed);
        self.buf.resize(old + framed, 0);
        self.buf.copy_within(0..old, framed);
        self.buf[..v].copy_from_slice(&varint[..v]);
        self.buf[v..v + e.len()].copy_from_slice(e);
        for (i, b) in varint[..v].iter().rev().enumerate() {
            self.buf[v + e.len() + i] = *b;
        }
        self.count += 1;
    }

    /// Removes the first element without returning it.
    pub fn discard_front(&mut self) {
        self.drop_front(1);
    }

    /// Removes the last element without returning it.
    pub fn discard_back(&mut self) {
        self.drop_back(1);
    }

    /// The element starting at byte `at`: (data range start, data len, next offset).
    fn element_at(&self, at: usize) -> (usize, usize, usize) {
        let (len, used) = get_varint(&self.buf, at);
        let start = at + used;
        let suffix = varint_bytes(len);
        (start, len, start + len + suffix)
    }

    /// The element ending at byte `end`: (start offset of its framing, data start, len).
    fn element_before(&self, end: usize) -> (usize, usize, usize) {
        let (len, used) = get_rev_varint(&self.buf, end);
        let data_start = end - used - len;
        let prefix = varint_bytes(len);
        (data_start - prefix, data_start, len)
    }

    pub fn first(&self) -> Option<&[u8]> {
        if self.count == 0 {
            return None;
        }
        let (s, l, _) = self.element_at(0);
        Some(&self.buf[s..s + l])
    }

    pub fn last(&self) -> Option<&[u8]> {
        if self.count == 0 {
            return None;
        }
        let (_, s, l) = self.element_before(self.buf.len());
        Some(&self.buf[s..s + l])
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let (s, l, next) = self.element_at(0);
        let out = self.buf[s..s + l].to_vec();
        self.buf.drain(..next);
        self.count -= 1;
        Some(out)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let (frame, s, l) = self.element_before(self.buf.len());
        let out = self.buf[s..s + l].to_vec();
        self.buf.truncate(frame);
        self.count -= 1;
        Some(out)
    }

    /// Drops the first `n` elements.
    pub fn drop_front(&mut self, n: usize) {
        let mut at = 0;
        for _ in 0..n.min(self.len()) {
            at = self.element_at(at).2;
        }
        self.buf.drain(..at);
        self.count -= n.min(self.len()) as u32;
    }

    /// Drops the last `n` elements.
    pub fn drop_back(&mut self, n: usize) {
        let mut end = self.buf.len();
        for _ in 0..n.min(self.len()) {
            end = self.element_before(end).0;
        }
        self.buf.truncate(end);
        self.count -= n.min(self.len()) as u32;
    }

    /// The element at `index` (walking from the nearer end).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len() {
            return None;
        }
        if index <= self.len() / 2 {
            self.iter().nth(index)
        } else {
            self.iter_rev().nth(self.len() - 1 - index)
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            node: self,
            at: 0,
            end: self.buf.len(),
        }
    }

    pub fn iter_rev(&self) -> IterRev<'_> {
        IterRev {
            node: self,
            at: 0,
            end: self.buf.len(),
        }
    }
}

/// Front-to-back walk of a node.
pub struct Iter<'a> {
    node: &'a Node,
    at: usize,
    end: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.end {
            return None;
        }
        let (s, l, next) = self.node.element_at(self.at);
        self.at = next;
        Some(&self.node.buf[s..s + l])
    }
}

/// Back-to-front walk of a node.
pub struct IterRev<'a> {
    node: &'a Node,
    at: usize,
    end: usize,
}

impl<'a> Iterator for IterRev<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.end <= self.at {
            return None;
        }
        let (frame, s, l) = self.node.element_before(self.end);
        self.end = frame;
        Some(&self.node.buf[s..s + l])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips_both_ways() {
        let sizes = [0usize, 1, 127, 128, 300, 16383, 16384, 70000];
        let elems: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![(n % 251) as u8; n]).collect();
        let node = Node::from_elements(elems.iter().map(|e| e.as_slice()));
        assert_eq!(node.len(), sizes.len());
        let fwd: Vec<&[u8]> = node.iter().collect();
        let mut back: Vec<&[u8]> = node.iter_rev().collect();
        back.reverse();
        assert_eq!(fwd, back);
        for (i, e) in elems.iter().enumerate() {
            assert_eq!(node.get(i), Some(e.as_slice()));
        }
        assert_eq!(framing_bytes(16), 2);
        let mut n = node.clone();
        n.drop_front(2);
        n.drop_back(2);
        assert_eq!(n.iter().collect::<Vec<_>>(), fwd[2..6].to_vec());
        n.push_front(b"x");
        assert_eq!(n.first(), Some(&b"x"[..]));
        assert_eq!(n.pop_back().unwrap(), elems[5]);
    }
}
