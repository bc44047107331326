//! One key of the keyspace as ONE allocation: a tagged owning pointer ([`Entry`],
//! 8 bytes, what a table slot holds) to a variable-size, 8-aligned block laid out as
//!
//! ```text
//! [expire deadline u64]           only when the key has a TTL
//! [key len u32]                   only when the key is 255 bytes or longer
//! [key bytes]
//! [value]   int: the i64 (unaligned); embstr: its bytes; heap: a `Value` (8-aligned);
//!           packed hash: [bytes u16][pairs u16][listpack bytes] (unaligned)
//! ```
//!
//! The block has no header: what it would hold (has-TTL, the value's kind and inline
//! length, the key's length up to 254) rides in the pointer's top 16 bits, which user
//! space addresses leave zero on the 48-bit address spaces of x86-64 and AArch64
//! (checked on every allocation). The access data (LRU/LFU) lives in the table's slot.
//! So a 16-byte key with a 32-byte embstr is a 48-byte block (a mimalloc size class;
//! mimalloc rounds small sizes to 16 bytes), 56 (class 64) with a TTL, instead of an
//! entry, a key and a string allocation. Strings up to [`EMBSTR_BYTES_MAX`] and
//! integers live inline; so do hashes in the listpack encoding of up to
//! [`PACKED_HASH_BYTES_MAX`] bytes (a 5-field profile hash is one block instead of a
//! block, a `Value` and a listpack allocation). Raw strings and other collections keep
//! their `Value` (whose bulk is behind its own pointers) in the block.
//!
//! A packed hash is read in place ([`Entry::value`] hands out a listpack view). To change
//! it, [`Entry::value_mut`] first moves it out into a heap `Value` (the writer then edits
//! a normal [`HashValue`]), and [`Entry::repack`] folds it back in after the write.
//!
//! This module holds all of the keyspace's `unsafe`: the rest of the code reads entries
//! through accessors ([`Entry::key`], [`Entry::value`], [`Entry::value_mut`],
//! [`Entry::expire_at_ms`]) and changes values with [`Entry::set_value`] and
//! [`Entry::make_raw`], which move the block when its layout changes (the caller holds
//! `&mut Entry`, the table's slot, so the pointer is updated in place).

use super::hash::{HashRef, HashValue, ListpackRef};
use super::value::{EMBSTR_BYTES_MAX, Value, ValueRef};
use std::alloc::{Layout, dealloc, handle_alloc_error};
use std::mem::{ManuallyDrop, align_of, size_of};
use std::ptr::NonNull;

const BLOCK_ALIGN: usize = 8;
const EXPIRE_BYTES: usize = 8;
const LONG_KEY_LEN_BYTES: usize = 4;
/// A key at least this long keeps its length in the u32 after the optional deadline.
const KEY_LEN_LONG: usize = u8::MAX as usize;
/// Keys are at most 512 MB (proto-max-bulk-len's ceiling), so a u32 holds any length.
const KEY_BYTES_MAX: usize = u32::MAX as usize;

/// The tag sits above the 48 address bits.
const TAG_SHIFT: u32 = 48;
const ADDR_MASK: usize = (1 << TAG_SHIFT) - 1;
/// Tag bit 0: the block starts with a deadline.
const TAG_EXPIRE: usize = 1;
/// Tag bits 1..7: the value code: an embstr's length (0..=44), or one of these.
const CODE_SHIFT: u32 = 1;
const CODE_MASK: usize = 0x3F;
const CODE_INT: usize = EMBSTR_BYTES_MAX + 1;
const CODE_HEAP: usize = EMBSTR_BYTES_MAX + 2;
const CODE_PACKED_HASH: usize = EMBSTR_BYTES_MAX + 3;
/// Tag bits 7..15: the key's length, `KEY_LEN_LONG` for a long key.
const KEY_LEN_SHIFT: u32 = 7;

const _: () = assert!(align_of::<Value>() <= BLOCK_ALIGN);
const _: () = assert!(CODE_PACKED_HASH <= CODE_MASK);
/// A packed hash's header: its listpack's byte length and pair count, as u16s.
const PACKED_HEADER_BYTES: usize = 4;
/// Largest listpack kept inline. Every change of a packed hash rebuilds its block, so
/// this bounds that copy; it also keeps both header fields within u16 (a pair takes at
/// least two bytes).
pub const PACKED_HASH_BYTES_MAX: usize = 1024;
const _: () = assert!(PACKED_HASH_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(KEY_LEN_SHIFT + 8 <= 16);

/// How the value is stored in the block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Int,
    /// An inline string of this many bytes.
    Embstr(usize),
    Heap,
    /// A hash's listpack of this many bytes, inline.
    PackedHash(usize),
}

/// Everything that determines a block's layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Shape {
    has_expire: bool,
    key_len: usize,
    kind: Kind,
}

impl Shape {
    fn for_value(key_len: usize, value: &Value, has_expire: bool) -> Shape {
        let kind = match value {
            Value::Int(_) => Kind::Int,
            Value::Embstr(b) if b.len() <= EMBSTR_BYTES_MAX => Kind::Embstr(b.len()),
            Value::Hash(h) => match h.as_listpack() {
                Some(lp) if lp.bytes().len() <= PACKED_HASH_BYTES_MAX => {
                    Kind::PackedHash(lp.bytes().len())
                }
                _ => Kind::Heap,
            },
            _ => Kind::Heap,
        };
        Shape {
            has_expire,
            key_len,
            kind,
        }
    }

    fn is_long_key(&self) -> bool {
        self.key_len >= KEY_LEN_LONG
    }

    fn long_len_offset(&self) -> usize {
        if self.has_expire { EXPIRE_BYTES } else { 0 }
    }

    fn key_offset(&self) -> usize {
        self.long_len_offset()
            + if self.is_long_key() {
                LONG_KEY_LEN_BYTES
            } else {
                0
            }
    }

    fn value_offset(&self) -> usize {
        let end = self.key_offset() + self.key_len;
        match self.kind {
            Kind::Heap => end.next_multiple_of(align_of::<Value>()),
            _ => end,
        }
    }

    fn value_bytes(&self) -> usize {
        match self.kind {
            Kind::Int => size_of::<i64>(),
            Kind::Embstr(len) => len,
            Kind::Heap => size_of::<Value>(),
            Kind::PackedHash(len) => PACKED_HEADER_BYTES + len,
        }
    }

    /// Never 0 (an empty key with an empty string still gets a real allocation).
    fn size(&self) -> usize {
        (self.value_offset() + self.value_bytes()).max(1)
    }

    fn layout(&self) -> Layout {
        Layout::from_size_align(self.size(), BLOCK_ALIGN).expect("entry block layout")
    }

    fn tag(&self) -> usize {
        let code = match self.kind {
            Kind::Int => CODE_INT,
            Kind::Embstr(len) => len,
            Kind::Heap => CODE_HEAP,
            Kind::PackedHash(_) => CODE_PACKED_HASH,
        };
        let key_len = self.key_len.min(KEY_LEN_LONG);
        (self.has_expire as usize) | (code << CODE_SHIFT) | (key_len << KEY_LEN_SHIFT)
    }
}

/// A key, its value and its deadline in one block (see the module docs). Owns the
/// block and the value's heap parts.
pub struct Entry {
    /// The block's address with the shape tag in the top 16 bits.
    tagged: NonNull<u8>,
}

// SAFETY: an Entry owns its block exclusively (like a Box), and what the block holds
// (bytes and a `Value`) is Send and Sync, checked below.
unsafe impl Send for Entry {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for Entry {}
const _: () = {
    const fn owned_parts_are_send_sync<T: Send + Sync>() {}
    owned_parts_are_send_sync::<Value>()
};

impl Entry {
    pub fn new(key: &[u8], value: Value) -> Entry {
        Entry::with_parts(key, value, 0)
    }

    /// A key with its deadline (0: none), in one allocation.
    pub fn with_parts(key: &[u8], value: Value, expire_at_ms: u64) -> Entry {
        assert!(key.len() <= KEY_BYTES_MAX, "key longer than 4 GB");
        let shape = Shape::for_value(key.len(), &value, expire_at_ms != 0);
        Self::build(key, value, expire_at_ms, shape)
    }

    /// Allocates and fills a block of `shape`, which must be `value`'s own shape or, for
    /// a hash that could be packed, the heap kind.
    fn build(key: &[u8], value: Value, expire_at_ms: u64, shape: Shape) -> Entry {
        let entry = Self::alloc_block(shape);
        let p = entry.block();
        // SAFETY: the block was just allocated with `shape.layout()`; every offset
        // written below lies inside it (`Shape::size` is the sum of the parts), and the
        // value offset of a heap value is aligned for `Value` (the block is 8-aligned).
        unsafe {
            if shape.has_expire {
                p.cast::<u64>().write(expire_at_ms);
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), p.add(shape.key_offset()), key.len());
            let at = p.add(shape.value_offset());
            match (shape.kind, value) {
                (Kind::Int, Value::Int(n)) => at.cast::<i64>().write_unaligned(n),
                (Kind::Embstr(_), Value::Embstr(b)) => {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), at, b.len())
                }
                (Kind::Heap, v) => at.cast::<Value>().write(v),
                (Kind::PackedHash(len), Value::Hash(h)) => {
                    let lp = h.as_listpack().expect("packed kind is a listpack");
                    at.cast::<u16>().write_unaligned(len as u16);
                    at.add(2).cast::<u16>().write_unaligned(lp.count() as u16);
                    std::ptr::copy_nonoverlapping(
                        lp.bytes().as_ptr(),
                        at.add(PACKED_HEADER_BYTES),
                        len,
                    );
                }
                _ => unreachable!("shape follows the value"),
            }
        }
        entry
    }

    /// A builder step kept for tests and loaders: the same entry with a deadline.
    pub fn with_expire(mut self, expire_at_ms: u64) -> Entry {
        self.set_expire_at_ms(expire_at_ms);
        self
    }

    /// Allocates a block for `shape` and writes a long key's length; the rest is the
    /// caller's. The returned entry must be filled before it is read or dropped.
    fn alloc_block(shape: Shape) -> Entry {
        let layout = shape.layout();
        // A block that active defragmentation may move (`crate::alloc::block_alloc`).
        let raw = crate::alloc::block_alloc(layout);
        if raw.is_null() {
            handle_alloc_error(layout)
        }
        assert!(
            raw.addr() & !ADDR_MASK == 0,
            "allocation above the 48-bit address space"
        );
        if shape.is_long_key() {
            // SAFETY: the u32 length after the optional deadline lies inside the block.
            unsafe {
                raw.add(shape.long_len_offset())
                    .cast::<u32>()
                    .write_unaligned(shape.key_len as u32)
            }
        }
        let tagged = raw.map_addr(|a| a | (shape.tag() << TAG_SHIFT));
        Entry {
            tagged: NonNull::new(tagged).expect("non-null"),
        }
    }

    /// Moves the block to a fresh allocation of the allocator's current generation
    /// (active defragmentation): same bytes, same tag, the old block freed.
    pub fn relocate(&mut self) {
        let layout = self.shape().layout();
        let fresh = crate::alloc::block_alloc(layout);
        if fresh.is_null() {
            return; // Out of memory: the entry simply stays where it is.
        }
        let old = self.block();
        // SAFETY: `old` is this entry's live block of `layout.size()` bytes, `fresh` a
        // new distinct block of the same layout; the bytes (a heap `Value` included) are
        // moved bitwise and the old block is freed without dropping anything in it.
        unsafe {
            std::ptr::copy_nonoverlapping(old, fresh, layout.size());
            dealloc(old, layout);
        }
        let tag = self.tag();
        self.tagged = NonNull::new(fresh.map_addr(|a| a | (tag << TAG_SHIFT))).expect("non-null");
    }

    /// The block's address (tag cleared, provenance kept).
    fn block(&self) -> *mut u8 {
        self.tagged.as_ptr().map_addr(|a| a & ADDR_MASK)
    }

    fn tag(&self) -> usize {
        self.tagged.as_ptr().addr() >> TAG_SHIFT
    }

    /// The value's kind from the tag; a packed hash's length is read by [`Self::shape`].
    fn kind(&self) -> Kind {
        match (self.tag() >> CODE_SHIFT) & CODE_MASK {
            CODE_INT => Kind::Int,
            CODE_HEAP => Kind::Heap,
            CODE_PACKED_HASH => Kind::PackedHash(0),
            len => Kind::Embstr(len),
        }
    }

    /// The layout, from the tag (and a long key's stored length).
    fn shape(&self) -> Shape {
        let tag = self.tag();
        let has_expire = tag & TAG_EXPIRE != 0;
        let short = (tag >> KEY_LEN_SHIFT) & 0xFF;
        let mut shape = Shape {
            has_expire,
            key_len: short,
            kind: self.kind(),
        };
        if short == KEY_LEN_LONG {
            // SAFETY: a long key's u32 length was written at `long_len_offset`.
            shape.key_len = unsafe {
                self.block()
                    .add(shape.long_len_offset())
                    .cast::<u32>()
                    .read_unaligned() as usize
            };
        }
        if let Kind::PackedHash(_) = shape.kind {
            // SAFETY: a packed hash's u16 byte length starts its value region, which
            // begins right after the key (no alignment) inside the block.
            let len = unsafe {
                self.block()
                    .add(shape.value_offset())
                    .cast::<u16>()
                    .read_unaligned()
            };
            shape.kind = Kind::PackedHash(len as usize);
        }
        shape
    }

    pub fn key(&self) -> &[u8] {
        let shape = self.shape();
        // SAFETY: the key's bytes were copied in at `key_offset` and stay while the
        // block lives; the borrow of `self` keeps the block alive and unchanged.
        unsafe { std::slice::from_raw_parts(self.block().add(shape.key_offset()), shape.key_len) }
    }

    /// The value, read in place (integers and embstrs are decoded from the block).
    pub fn value(&self) -> ValueRef<'_> {
        let shape = self.shape();
        // SAFETY: the value region at `value_offset` holds what the kind says: an i64
        // (read unaligned), that many bytes, or an initialized, aligned `Value`.
        unsafe {
            let at = self.block().add(shape.value_offset());
            match shape.kind {
                Kind::Int => ValueRef::Int(at.cast::<i64>().read_unaligned()),
                Kind::Embstr(len) => ValueRef::Embstr(std::slice::from_raw_parts(at, len)),
                Kind::Heap => (*at.cast::<Value>()).as_ref(),
                Kind::PackedHash(len) => {
                    let count = at.add(2).cast::<u16>().read_unaligned();
                    let bytes = std::slice::from_raw_parts(at.add(PACKED_HEADER_BYTES), len);
                    ValueRef::Hash(HashRef::Listpack(ListpackRef::from_parts(
                        count as u32,
                        bytes,
                    )))
                }
            }
        }
    }

    /// The stored `Value` of a raw string or a collection, for in-place changes; None for
    /// the inline string kinds (int and embstr). A packed hash moves out into a heap
    /// `Value` first (see [`Self::repack`] for the way back).
    pub fn value_mut(&mut self) -> Option<&mut Value> {
        let mut shape = self.shape();
        if let Kind::PackedHash(_) = shape.kind {
            let value = self.value().to_value();
            let heap = Shape {
                kind: Kind::Heap,
                ..shape
            };
            *self = Entry::build(self.key(), value, self.expire_at_ms(), heap);
            shape = heap;
        }
        if shape.kind != Kind::Heap {
            return None;
        }
        // SAFETY: a heap kind keeps an initialized, aligned `Value` at `value_offset`;
        // `&mut self` makes this the only access for the borrow's life.
        unsafe { Some(&mut *self.block().add(shape.value_offset()).cast::<Value>()) }
    }

    /// Replaces the value, keeping key and deadline; moves the block when the new value
    /// needs another layout.
    pub fn set_value(&mut self, value: Value) {
        let shape = self.shape();
        let next = Shape::for_value(shape.key_len, &value, shape.has_expire);
        if next.kind == Kind::Heap && shape.kind == Kind::Heap {
            *self.value_mut().expect("heap kind") = value;
            return;
        }
        if next == shape && matches!(shape.kind, Kind::Int | Kind::Embstr(_)) {
            // SAFETY: same layout: the inline region has room for exactly this value.
            unsafe {
                let at = self.block().add(shape.value_offset());
                match value {
                    Value::Int(n) => at.cast::<i64>().write_unaligned(n),
                    Value::Embstr(b) => std::ptr::copy_nonoverlapping(b.as_ptr(), at, b.len()),
                    _ => unreachable!("inline kinds only"),
                }
            }
            return;
        }
        *self = Entry::with_parts(self.key(), value, self.expire_at_ms());
    }

    /// Moves a hash that [`Self::value_mut`] took out of the block (or any small listpack
    /// hash) back inline; a no-op for every other value. Writers of hashes call this once
    /// their change is done.
    pub fn repack(&mut self) {
        let Some(Value::Hash(h)) = self.value_mut() else {
            return;
        };
        if h.as_listpack()
            .is_none_or(|lp| lp.bytes().len() > PACKED_HASH_BYTES_MAX)
        {
            return;
        }
        let value = Value::Hash(std::mem::take::<HashValue>(h));
        *self = Entry::with_parts(self.key(), value, self.expire_at_ms());
    }

    /// True when the value lives in a heap `Value` rather than inline.
    #[cfg(test)]
    fn is_heap(&self) -> bool {
        self.kind() == Kind::Heap
    }

    /// Converts a string value to `raw` and returns its buffer, for in-place edits
    /// (APPEND, SETRANGE, SETBIT, BITFIELD); None when the value is not a string.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if let ValueRef::Int(_) | ValueRef::Embstr(_) = self.value() {
            let mut tmp = [0u8; 20];
            let bytes = self.value().string_bytes(&mut tmp)?.to_vec();
            self.set_value(Value::Raw(bytes));
        }
        self.value_mut()?.make_raw()
    }

    /// Takes the value out, freeing the block.
    pub fn into_value(self) -> Value {
        let shape = self.shape();
        if shape.kind != Kind::Heap {
            return self.value().to_value();
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: the heap `Value` is moved out exactly once and the block is then freed
        // without dropping it (ManuallyDrop keeps Drop from running).
        unsafe {
            let block = this.block();
            let value = block.add(shape.value_offset()).cast::<Value>().read();
            dealloc(block, shape.layout());
            value
        }
    }

    /// Absolute deadline in unix milliseconds; 0 when the key has no TTL.
    pub fn expire_at_ms(&self) -> u64 {
        if self.tag() & TAG_EXPIRE == 0 {
            return 0;
        }
        // SAFETY: with the expire tag the deadline was written at the block's start
        // (8-aligned).
        unsafe { self.block().cast::<u64>().read() }
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        let at = self.expire_at_ms();
        at != 0 && at <= now_ms
    }

    /// Sets (0: clears) the deadline; only the table calls this, so its volatile
    /// counters stay right. Moves the block when the deadline appears or goes.
    pub(super) fn set_expire_at_ms(&mut self, expire_at_ms: u64) {
        let shape = self.shape();
        let has_expire = expire_at_ms != 0;
        if has_expire != shape.has_expire {
            self.relayout(Shape {
                has_expire,
                ..shape
            });
        }
        if has_expire {
            // SAFETY: the block now has the deadline slot at its start.
            unsafe { self.block().cast::<u64>().write(expire_at_ms) }
        }
    }

    /// Moves the contents to a block of `next` shape (differing only in `has_expire`):
    /// the key and the value's bytes are copied, a heap `Value` is moved bitwise.
    fn relayout(&mut self, next: Shape) {
        let old = self.shape();
        let moved = Self::alloc_block(next);
        // SAFETY: both blocks are live and distinct; the key and value regions have the
        // same lengths in both shapes and lie inside each block. A heap `Value` is
        // copied bitwise to its new aligned slot and the old block is freed without
        // dropping it, so it is moved, not duplicated.
        unsafe {
            let from = self.block();
            let to = moved.block();
            if next.has_expire {
                to.cast::<u64>().write(0);
            }
            std::ptr::copy_nonoverlapping(
                from.add(old.key_offset()),
                to.add(next.key_offset()),
                old.key_len,
            );
            std::ptr::copy_nonoverlapping(
                from.add(old.value_offset()),
                to.add(next.value_offset()),
                old.value_bytes(),
            );
            dealloc(from, old.layout());
        }
        // The old block is gone: overwrite without running Drop on it.
        let moved = ManuallyDrop::new(moved);
        self.tagged = moved.tagged;
    }

    /// Asks the CPU to start loading the block's first cache line (where the key of a
    /// short-keyed entry lies), so a loop can overlap the misses of several entries.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint: it never faults and changes no memory,
        // whatever the address; this one is the live block's.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                self.block().cast_const().cast::<i8>(),
            )
        }
    }

    /// Bytes of the block itself (what the allocator is asked for).
    pub fn block_bytes(&self) -> usize {
        self.shape().size()
    }

    /// Bytes this key costs: its block and what the value owns beyond it (MEMORY USAGE;
    /// the table's slots are overhead).
    pub fn usage_bytes(&self) -> usize {
        let beyond = match self.kind() {
            Kind::Heap => self.value().heap_bytes(),
            Kind::Int | Kind::Embstr(_) | Kind::PackedHash(_) => 0,
        };
        self.block_bytes() + beyond
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let shape = self.shape();
        // SAFETY: a heap kind holds an initialized `Value`, dropped once here; the block
        // was allocated with exactly `shape.layout()` (the shape is read back from the
        // tag, which every layout change rewrites).
        unsafe {
            if shape.kind == Kind::Heap {
                std::ptr::drop_in_place(self.block().add(shape.value_offset()).cast::<Value>());
            }
            dealloc(self.block(), shape.layout());
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("encoding", &self.value().encoding())
            .field("expire_at_ms", &self.expire_at_ms())
            .finish()
    }
}

#[cfg(test)]
#[path = "entry_tests.rs"]
mod tests;
