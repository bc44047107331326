//! Set values: the members one key holds, in Redis 7.0's two encodings. `intset`
//! ([`IntSet`]: sorted integers packed at 16, 32 or 64 bits) is used while every member
//! is an integer that round-trips through Redis's `string2ll` ([`parse_i64`]) and the
//! count stays within `set-max-intset-entries`; `hashtable` is a [`DenseMap`] of byte
//! strings (uniform random picks by position for SPOP/SRANDMEMBER, a SCAN cursor that
//! survives changes). A set converts from `intset` to `hashtable` when a non-integer
//! member arrives or the count passes the limit, never back (as in Redis 7.0). [`ops`]
//! holds the set algebra (intersection, union, difference). Knows nothing of commands
//! or the network; `commands::set` builds the commands on it.

mod intset;
pub mod ops;
#[cfg(test)]
mod tests;

use super::dense::DenseMap;
use crate::util::num::parse_i64;
pub use intset::IntSet;

/// The large encoding, behind one pointer so [`crate::storage::Value`] stays small.
pub type SetTable = DenseMap<Box<[u8]>>;

#[derive(Clone)]
pub enum SetValue {
    /// Sorted, distinct integers (Redis's `intset`).
    Ints(IntSet),
    /// Byte-string members (Redis's `hashtable`).
    Table(Box<SetTable>),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Ints(IntSet::default())
    }
}

/// One member as the set stores it: an integer of an intset, or bytes of a hashtable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member for `bytes`: `Int` when they are an integer in canonical form.
    pub fn parse(bytes: &'a [u8]) -> Member<'a> {
        match parse_i64(bytes) {
            Some(n) => Member::Int(n),
            None => Member::Bytes(bytes),
        }
    }

    /// The member's text (integers formatted into `tmp`).
    pub fn bytes<'t>(&'t self, tmp: &'t mut [u8; 20]) -> &'t [u8] {
        match *self {
            Member::Int(n) => crate::protocol::reply::format_i64(tmp, n),
            Member::Bytes(b) => b,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut tmp = [0u8; 20];
        self.bytes(&mut tmp).to_vec()
    }
}

/// Iterates a set's members: ascending for an intset, position order for a hashtable.
pub enum Iter<'a> {
    Ints(intset::Iter<'a>),
    Table(std::slice::Iter<'a, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(it) => it.next().map(Member::Int),
            Iter::Table(it) => it.next().map(|b| Member::Bytes(b)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Ints(it) => it.size_hint(),
            Iter::Table(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl SetValue {
    /// An empty set in the compact encoding (what Redis's SINTERSTORE / SUNIONSTORE /
    /// SDIFFSTORE start their destination from; the first non-integer converts it).
    pub fn new() -> SetValue {
        SetValue::default()
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Ints(v) => v.len(),
            SetValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Ints(_) => "intset",
            SetValue::Table(_) => "hashtable",
        }
    }

    pub fn is_intset(&self) -> bool {
        matches!(self, SetValue::Ints(_))
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, DEBUG OBJECT).
    pub fn heap_bytes(&self) -> usize {
        match self {
            SetValue::Ints(v) => v.heap_bytes(),
            SetValue::Table(t) => {
                std::mem::size_of::<SetTable>()
                    + t.table_bytes()
                    + t.iter().map(|m| m.len()).sum::<usize>()
            }
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::Ints(v) => parse_i64(member).is_some_and(|n| v.contains(n)),
            SetValue::Table(t) => t.contains(member),
        }
    }

    /// Membership of a member taken from another set (no formatting intset to intset).
    pub fn contains_member(&self, member: Member) -> bool {
        match (self, member) {
            (SetValue::Ints(v), Member::Int(n)) => v.contains(n),
            (SetValue::Ints(_), Member::Bytes(b)) => self.contains(b),
            (SetValue::Table(t), m) => {
                let mut tmp = [0u8; 20];
                t.contains(m.bytes(&mut tmp))
            }
        }
    }

    /// Adds `member`; false when it was already there. Converts to a hashtable when the
    /// member is not an integer or the intset grows past `intset_entries_max`.
    pub fn add(&mut self, member: &[u8], intset_entries_max: u64) -> bool {
        self.add_member(Member::parse(member), intset_entries_max)
    }

    /// [`SetValue::add`] for a member taken from another set (a hashtable member may
    /// still be integer text: it goes into an intset as an integer).
    pub fn add_member(&mut self, member: Member, intset_entries_max: u64) -> bool {
        if let SetValue::Ints(v) = self {
            let member = match member {
                Member::Bytes(b) => Member::parse(b),
                m => m,
            };
            match member {
                Member::Int(n) => {
                    if !v.insert(n) {
                        return false;
                    }
                    if v.len() as u64 > intset_entries_max {
                        self.convert_to_table(0);
                    }
                    return true;
                }
                Member::Bytes(_) => self.convert_to_table(1),
            }
        }
        let SetValue::Table(t) = self else {
            unreachable!("converted above")
        };
        let mut tmp = [0u8; 20];
        let bytes = member.bytes(&mut tmp);
        if t.contains(bytes) {
            return false;
        }
        t.insert(bytes.into());
        true
    }

    /// Removes `member`; false when it was not there. An intset stays an intset.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Ints(v) => parse_i64(member).is_some_and(|n| v.remove(n)),
            SetValue::Table(t) => t.remove(member).is_some(),
        }
    }

    /// [`SetValue::remove`] for a member taken from another set.
    pub fn remove_member(&mut self, member: Member) -> bool {
        match (&mut *self, member) {
            (SetValue::Ints(v), Member::Int(n)) => v.remove(n),
            (_, m) => {
                let mut tmp = [0u8; 20];
                self.remove(m.bytes(&mut tmp))
            }
        }
    }

    /// Converts an intset into a hashtable with room for `extra` more members.
    fn convert_to_table(&mut self, extra: usize) {
        let SetValue::Ints(v) = self else { return };
        let mut t = SetTable::with_capacity(v.len() + extra);
        let mut tmp = [0u8; 20];
        for n in v.iter() {
            t.insert(crate::protocol::reply::format_i64(&mut tmp, n).into());
        }
        *self = SetValue::Table(Box::new(t));
    }

    pub fn iter(&self) -> Iter<'_> {
        match self {
            SetValue::Ints(v) => Iter::Ints(v.iter()),
            SetValue::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The member at position `at` (< len): a uniform random pick is `at(random % len)`.
    pub fn at(&self, at: usize) -> Member<'_> {
        match self {
            SetValue::Ints(v) => Member::Int(v.get(at)),
            SetValue::Table(t) => Member::Bytes(t.at(at)),
        }
    }

    /// Removes the member at position `at` (< len) without returning it.
    pub fn delete_at(&mut self, at: usize) {
        match self {
            SetValue::Ints(v) => {
                v.remove_at(at);
            }
            SetValue::Table(t) => {
                t.remove_at(at);
            }
        }
    }

    /// Removes and returns the member at position `at` (< len), as its text.
    pub fn remove_at(&mut self, at: usize) -> Vec<u8> {
        match self {
            SetValue::Ints(v) => Member::Int(v.remove_at(at)).to_vec(),
            SetValue::Table(t) => t.remove_at(at).into_vec(),
        }
    }

    /// One SSCAN step. An intset returns everything at once with cursor 0, as Redis
    /// does for its compact encodings; a hashtable walks [`DenseMap::scan`].
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Member)) -> u64 {
        match self {
            SetValue::Ints(v) => {
                v.iter().for_each(|n| visit(Member::Int(n)));
                0
            }
            SetValue::Table(t) => t.scan(cursor, count, |b| visit(Member::Bytes(b))),
        }
    }

    /// A fresh set (Redis's `setTypeCreate` + adds) holding `members`.
    pub fn from_members<'a>(
        members: impl IntoIterator<Item = Member<'a>>,
        intset_entries_max: u64,
    ) -> SetValue {
        let mut s = SetValue::new();
        for m in members {
            s.add_member(m, intset_entries_max);
        }
        s
    }
}
