//! A command's arguments as ranges into one byte buffer: the connection's query buffer
//! on the fast path, or a hop message's own buffer on a remote shard. Borrowing instead
//! of copying keeps the parse-route-execute path free of per-command allocation.

use std::ops::Index;

/// One argument's position, relative to the start of the buffer the ranges index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgRange {
    pub start: u32,
    pub end: u32,
}

impl ArgRange {
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The arguments of one command; `args[0]` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    bytes: &'a [u8],
    ranges: &'a [ArgRange],
}

impl<'a> Args<'a> {
    pub fn new(bytes: &'a [u8], ranges: &'a [ArgRange]) -> Self {
        debug_assert!(
            ranges
                .iter()
                .all(|r| r.start <= r.end && r.end as usize <= bytes.len())
        );
        Args { bytes, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        let r = self.ranges.get(index)?;
        Some(&self.bytes[r.start as usize..r.end as usize])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        self.ranges
            .iter()
            .map(move |r| &bytes[r.start as usize..r.end as usize])
    }

    /// The arguments from `index` on.
    pub fn skip(&self, index: usize) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        self.ranges[index.min(self.ranges.len())..]
            .iter()
            .map(move |r| &bytes[r.start as usize..r.end as usize])
    }

    pub fn ranges(&self) -> &'a [ArgRange] {
        self.ranges
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<'a> Index<usize> for Args<'a> {
    type Output = [u8];

    fn index(&self, index: usize) -> &[u8] {
        let r = self.ranges[index];
        &self.bytes[r.start as usize..r.end as usize]
    }
}

/// An owned argument list (a buffer plus ranges), used to carry commands across a hop
/// and to build arguments in tests. Reused across batches so steady state allocates
/// nothing.
#[derive(Default, Clone, Debug)]
pub struct ArgsBuf {
    bytes: Vec<u8>,
    ranges: Vec<ArgRange>,
}

impl ArgsBuf {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_slices<'s>(args: impl IntoIterator<Item = &'s [u8]>) -> Self {
        let mut buf = Self::new();
        for a in args {
            buf.push(a);
        }
        buf
    }

    pub fn push(&mut self, arg: &[u8]) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(arg);
        self.ranges.push(ArgRange {
            start,
            end: self.bytes.len() as u32,
        });
    }

    /// Empties the buffer for reuse, letting a burst's peak capacity go.
    pub fn clear(&mut self) {
        crate::util::buf::clear_and_trim(&mut self.bytes);
        crate::util::buf::clear_and_trim(&mut self.ranges);
    }

    pub fn as_args(&self) -> Args<'_> {
        Args::new(&self.bytes, &self.ranges)
    }

    /// Arguments `from..to` (by index) as an [`Args`].
    pub fn slice(&self, from: usize, to: usize) -> Args<'_> {
        Args::new(&self.bytes, &self.ranges[from..to])
    }

    pub fn arg_count(&self) -> usize {
        self.ranges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_and_borrowed_agree() {
        let owned = ArgsBuf::from_slices([&b"SET"[..], b"k", b""]);
        let args = owned.as_args();
        assert_eq!(args.len(), 3);
        assert_eq!(&args[0], b"SET");
        assert_eq!(args.get(2), Some(&b""[..]));
        assert_eq!(args.skip(1).collect::<Vec<_>>(), vec![&b"k"[..], b""]);
        assert!(args.get(3).is_none());
    }
}
