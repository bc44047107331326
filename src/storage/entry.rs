//! One key of the keyspace as ONE allocation: a thin owning pointer ([`Entry`], 8 bytes,
//! what a table slot holds) to a variable-size, 8-aligned block laid out as
//!
//! ```text
//! [access data u32][flags u8][inline value len u8][key len u8][unused u8]   header, 8 bytes
//! [expire deadline u64]           only when the key has a TTL
//! [key len u32]                   only when the key is 255 bytes or longer
//! [key bytes]
//! [value]   int: the i64 (unaligned); embstr: its bytes; heap: a `Value` (8-aligned)
//! ```
//!
//! So a 16-byte key with a 32-byte embstr costs 56 bytes (mimalloc's 56-byte class),
//! 64 with a TTL, instead of an entry, a key and a string allocation. Strings up to
//! [`EMBSTR_BYTES_MAX`] and integers live inline; raw strings and collections keep their
//! `Value` (whose bulk is behind its own pointers) in the block. This module holds all
//! of the keyspace's `unsafe`: the rest of the code reads entries through accessors
//! ([`Entry::key`], [`Entry::value`], [`Entry::value_mut`], [`Entry::expire_at_ms`],
//! [`Entry::access_clock`]) and changes values with [`Entry::set_value`] and
//! [`Entry::make_raw`], which move the block when its layout changes (the caller holds
//! `&mut Entry`, the table's slot, so the pointer is updated in place).

use super::value::{EMBSTR_BYTES_MAX, Value, ValueRef};
use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::mem::{ManuallyDrop, align_of, size_of};
use std::ptr::NonNull;

const HEADER_BYTES: usize = 8;
const BLOCK_ALIGN: usize = 8;
const AT_FLAGS: usize = 4;
const AT_INLINE_LEN: usize = 5;
const AT_KEY_LEN: usize = 6;
const EXPIRE_BYTES: usize = 8;
const LONG_KEY_LEN_BYTES: usize = 4;
/// A key at least this long keeps its length in the u32 after the header.
const KEY_LEN_LONG: u8 = u8::MAX;
/// Keys are at most 512 MB (proto-max-bulk-len's ceiling), so a u32 holds any length.
const KEY_BYTES_MAX: usize = u32::MAX as usize;

const FLAG_EXPIRE: u8 = 1;
const KIND_SHIFT: u8 = 1;
const KIND_MASK: u8 = 0b11 << KIND_SHIFT;

const _: () = assert!(align_of::<Value>() <= BLOCK_ALIGN);
const _: () = assert!(EMBSTR_BYTES_MAX < u8::MAX as usize);

/// How the value is stored in the block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Int = 0,
    Embstr = 1,
    Heap = 2,
}

/// Everything that determines a block's layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Shape {
    has_expire: bool,
    key_len: usize,
    kind: Kind,
    /// Bytes of an inline embstr (0 for the other kinds).
    inline_len: usize,
}

impl Shape {
    fn for_value(key_len: usize, value: &Value, has_expire: bool) -> Shape {
        let (kind, inline_len) = match value {
            Value::Int(_) => (Kind::Int, 0),
            Value::Embstr(b) if b.len() <= EMBSTR_BYTES_MAX => (Kind::Embstr, b.len()),
            _ => (Kind::Heap, 0),
        };
        Shape {
            has_expire,
            key_len,
            kind,
            inline_len,
        }
    }

    fn is_long_key(&self) -> bool {
        self.key_len >= KEY_LEN_LONG as usize
    }

    fn key_offset(&self) -> usize {
        HEADER_BYTES
            + if self.has_expire { EXPIRE_BYTES } else { 0 }
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
            Kind::Embstr => self.inline_len,
            Kind::Heap => size_of::<Value>(),
        }
    }

    fn size(&self) -> usize {
        self.value_offset() + self.value_bytes()
    }

    fn layout(&self) -> Layout {
        Layout::from_size_align(self.size(), BLOCK_ALIGN).expect("entry block layout")
    }

    fn flags(&self) -> u8 {
        (self.has_expire as u8) | ((self.kind as u8) << KIND_SHIFT)
    }
}

/// A key, its value, its deadline and its access data, in one block (see the module
/// docs). Owns the block and the value's heap parts.
pub struct Entry {
    block: NonNull<u8>,
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
        Entry::with_parts(key, value, 0, 0)
    }

    /// A key with its deadline (0: none) and access data, in one allocation.
    pub fn with_parts(key: &[u8], value: Value, expire_at_ms: u64, access: u32) -> Entry {
        assert!(key.len() <= KEY_BYTES_MAX, "key longer than 4 GB");
        let shape = Shape::for_value(key.len(), &value, expire_at_ms != 0);
        let block = Self::alloc_block(&shape, access);
        // SAFETY: `block` was just allocated with `shape.layout()`; every offset written
        // below lies inside it (`Shape::size` is the sum of the parts), and the value
        // offset of a heap value is aligned for `Value` (the block is 8-aligned).
        unsafe {
            let p = block.as_ptr();
            if shape.has_expire {
                p.add(HEADER_BYTES).cast::<u64>().write(expire_at_ms);
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), p.add(shape.key_offset()), key.len());
            let at = p.add(shape.value_offset());
            match (shape.kind, value) {
                (Kind::Int, Value::Int(n)) => at.cast::<i64>().write_unaligned(n),
                (Kind::Embstr, Value::Embstr(b)) => {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), at, b.len())
                }
                (Kind::Heap, v) => at.cast::<Value>().write(v),
                _ => unreachable!("shape follows the value"),
            }
        }
        Entry { block }
    }

    /// A builder step kept for tests and loaders: the same entry with a deadline.
    pub fn with_expire(mut self, expire_at_ms: u64) -> Entry {
        self.set_expire_at_ms(expire_at_ms);
        self
    }

    /// Allocates a block for `shape` and writes its header (the rest is the caller's).
    fn alloc_block(shape: &Shape, access: u32) -> NonNull<u8> {
        let layout = shape.layout();
        // SAFETY: the layout is at least HEADER_BYTES, never zero-sized.
        let raw = unsafe { alloc(layout) };
        let Some(block) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the header (8 bytes, 8-aligned) and, for a long key, the u32 length
        // after the optional deadline lie inside the fresh block.
        unsafe {
            let p = block.as_ptr();
            p.cast::<u32>().write(access);
            p.add(AT_FLAGS).write(shape.flags());
            p.add(AT_INLINE_LEN).write(shape.inline_len as u8);
            p.add(AT_KEY_LEN).write(if shape.is_long_key() {
                KEY_LEN_LONG
            } else {
                shape.key_len as u8
            });
            p.add(AT_KEY_LEN + 1).write(0);
            if shape.is_long_key() {
                let at = HEADER_BYTES + if shape.has_expire { EXPIRE_BYTES } else { 0 };
                p.add(at)
                    .cast::<u32>()
                    .write_unaligned(shape.key_len as u32);
            }
        }
        block
    }

    /// Reads the layout back from the header.
    fn shape(&self) -> Shape {
        let p = self.block.as_ptr();
        // SAFETY: the header is always initialized (alloc_block), and a long key's u32
        // length was written where `has_expire` says it is.
        unsafe {
            let flags = *p.add(AT_FLAGS);
            let has_expire = flags & FLAG_EXPIRE != 0;
            let kind = match (flags & KIND_MASK) >> KIND_SHIFT {
                0 => Kind::Int,
                1 => Kind::Embstr,
                _ => Kind::Heap,
            };
            let short = *p.add(AT_KEY_LEN);
            let key_len = if short == KEY_LEN_LONG {
                let at = HEADER_BYTES + if has_expire { EXPIRE_BYTES } else { 0 };
                p.add(at).cast::<u32>().read_unaligned() as usize
            } else {
                short as usize
            };
            Shape {
                has_expire,
                key_len,
                kind,
                inline_len: *p.add(AT_INLINE_LEN) as usize,
            }
        }
    }

    fn kind(&self) -> Kind {
        // SAFETY: the flags byte of the header is initialized.
        let flags = unsafe { *self.block.as_ptr().add(AT_FLAGS) };
        match (flags & KIND_MASK) >> KIND_SHIFT {
            0 => Kind::Int,
            1 => Kind::Embstr,
            _ => Kind::Heap,
        }
    }

    pub fn key(&self) -> &[u8] {
        let shape = self.shape();
        // SAFETY: the key's bytes were copied in at `key_offset` and stay while the
        // block lives; the borrow of `self` keeps the block alive and unchanged.
        unsafe {
            std::slice::from_raw_parts(self.block.as_ptr().add(shape.key_offset()), shape.key_len)
        }
    }

    /// The value, read in place (integers and embstrs are decoded from the block).
    pub fn value(&self) -> ValueRef<'_> {
        let shape = self.shape();
        // SAFETY: the value region at `value_offset` holds what `kind` says: an i64
        // (read unaligned), `inline_len` bytes, or an initialized, aligned `Value`.
        unsafe {
            let at = self.block.as_ptr().add(shape.value_offset());
            match shape.kind {
                Kind::Int => ValueRef::Int(at.cast::<i64>().read_unaligned()),
                Kind::Embstr => ValueRef::Embstr(std::slice::from_raw_parts(at, shape.inline_len)),
                Kind::Heap => (*at.cast::<Value>()).as_ref(),
            }
        }
    }

    /// The stored `Value` of a raw string or a collection, for in-place changes; None for
    /// the inline kinds (int and embstr strings).
    pub fn value_mut(&mut self) -> Option<&mut Value> {
        let shape = self.shape();
        if shape.kind != Kind::Heap {
            return None;
        }
        // SAFETY: a heap kind keeps an initialized, aligned `Value` at `value_offset`;
        // `&mut self` makes this the only access for the borrow's life.
        unsafe {
            Some(
                &mut *self
                    .block
                    .as_ptr()
                    .add(shape.value_offset())
                    .cast::<Value>(),
            )
        }
    }

    /// Replaces the value, keeping key, deadline and access data; moves the block when
    /// the new value needs another layout.
    pub fn set_value(&mut self, value: Value) {
        let shape = self.shape();
        let next = Shape::for_value(shape.key_len, &value, shape.has_expire);
        if next.kind == Kind::Heap && shape.kind == Kind::Heap {
            *self.value_mut().expect("heap kind") = value;
            return;
        }
        if next == shape {
            // SAFETY: same layout: the inline region has room for exactly this value.
            unsafe {
                let at = self.block.as_ptr().add(shape.value_offset());
                match value {
                    Value::Int(n) => at.cast::<i64>().write_unaligned(n),
                    Value::Embstr(b) => std::ptr::copy_nonoverlapping(b.as_ptr(), at, b.len()),
                    _ => unreachable!("inline kinds only"),
                }
            }
            return;
        }
        *self = Entry::with_parts(self.key(), value, self.expire_at_ms(), self.access_clock());
    }

    /// Converts a string value to `raw` and returns its buffer, for in-place edits
    /// (APPEND, SETRANGE, SETBIT, BITFIELD); None when the value is not a string.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        match self.value() {
            ValueRef::Int(_) | ValueRef::Embstr(_) => {
                let mut tmp = [0u8; 20];
                let bytes = self.value().string_bytes(&mut tmp)?.to_vec();
                self.set_value(Value::Raw(bytes));
            }
            _ => {}
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
            let value = this
                .block
                .as_ptr()
                .add(shape.value_offset())
                .cast::<Value>()
                .read();
            dealloc(this.block.as_ptr(), shape.layout());
            value
        }
    }

    /// Absolute deadline in unix milliseconds; 0 when the key has no TTL.
    pub fn expire_at_ms(&self) -> u64 {
        // SAFETY: the flags byte is initialized; with FLAG_EXPIRE the deadline was
        // written at HEADER_BYTES (8-aligned).
        unsafe {
            let p = self.block.as_ptr();
            if *p.add(AT_FLAGS) & FLAG_EXPIRE == 0 {
                0
            } else {
                p.add(HEADER_BYTES).cast::<u64>().read()
            }
        }
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
            // SAFETY: the block now has the deadline slot at HEADER_BYTES.
            unsafe {
                self.block
                    .as_ptr()
                    .add(HEADER_BYTES)
                    .cast::<u64>()
                    .write(expire_at_ms)
            }
        }
    }

    /// Moves the contents to a block of `next` shape (differing only in `has_expire`):
    /// the key and the value's bytes are copied, a heap `Value` is moved bitwise.
    fn relayout(&mut self, next: Shape) {
        let old = self.shape();
        let block = Self::alloc_block(&next, self.access_clock());
        // SAFETY: both blocks are live and distinct; the key and value regions have the
        // same lengths in both shapes and lie inside each block. A heap `Value` is
        // copied bitwise to its new aligned slot and the old block is freed without
        // dropping it, so it is moved, not duplicated.
        unsafe {
            let from = self.block.as_ptr();
            let to = block.as_ptr();
            if next.has_expire {
                to.add(HEADER_BYTES).cast::<u64>().write(0);
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
        self.block = block;
    }

    /// LRU clock or LFU data of the last access (see `shard::evict`).
    pub fn access_clock(&self) -> u32 {
        // SAFETY: the first 4 bytes of the (8-aligned) header are initialized.
        unsafe { self.block.as_ptr().cast::<u32>().read() }
    }

    pub fn set_access_clock(&mut self, access: u32) {
        // SAFETY: as in `access_clock`; `&mut self` is exclusive.
        unsafe { self.block.as_ptr().cast::<u32>().write(access) }
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
            _ => 0,
        };
        self.block_bytes() + beyond
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let shape = self.shape();
        // SAFETY: a heap kind holds an initialized `Value`, dropped once here; the block
        // was allocated with exactly `shape.layout()` (the shape is read back from the
        // header, which every layout change rewrites).
        unsafe {
            if shape.kind == Kind::Heap {
                std::ptr::drop_in_place(
                    self.block
                        .as_ptr()
                        .add(shape.value_offset())
                        .cast::<Value>(),
                );
            }
            dealloc(self.block.as_ptr(), shape.layout());
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
