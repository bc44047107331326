//! The process's global allocator: mimalloc, wrapped to count the bytes in use (what
//! INFO's `used_memory` and maxmemory read; mimalloc's own statistics read zero in
//! release builds). Counting is per thread: each thread adds and subtracts the usable
//! size of its allocations and frees on its own cache-line-padded slot, so the hot path
//! never shares a cache line. A block freed by another thread than the one that
//! allocated it moves bytes between slots; only the sum is exact, so readers sum.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use mimalloc::MiMalloc;

/// Counter slots; threads past this many share slots (still exact, slightly slower).
pub const SLOTS_COUNT_MAX: usize = 64;

#[repr(align(64))]
struct Slot(AtomicI64);

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: Slot = Slot(AtomicI64::new(0));
static SLOTS: [Slot; SLOTS_COUNT_MAX] = [ZERO; SLOTS_COUNT_MAX];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's slot index, `usize::MAX` until first use. `const` with no destructor,
    /// so the allocator can touch it at any point of a thread's life.
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn slot() -> &'static AtomicI64 {
    let index = SLOT
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS_COUNT_MAX;
                s.set(i);
            }
            i
        })
        .unwrap_or(0);
    &SLOTS[index].0
}

/// Bytes allocated and not yet freed, by the whole process.
pub fn used_bytes() -> u64 {
    let sum: i64 = SLOTS.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    sum.max(0) as u64
}

/// Returns this thread's freed pages to the system (MEMORY PURGE).
pub fn purge() {
    // SAFETY: mi_collect only walks the calling thread's own heap.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// mimalloc with byte counting.
pub struct Counting;

fn usable(ptr: *mut u8) -> i64 {
    // SAFETY: `ptr` was returned by mimalloc (every block of this allocator is) and is
    // live; mi_usable_size only reads mimalloc's page metadata for it.
    unsafe { libmimalloc_sys::mi_usable_size(ptr.cast()) as i64 }
}

// SAFETY: every method forwards to MiMalloc, which upholds GlobalAlloc's contract; the
// counting around it touches only atomics and a const thread-local without destructor,
// so it neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size); forwarded as is.
        let ptr = unsafe { MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            slot().fetch_add(usable(ptr), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            slot().fetch_add(usable(ptr), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        slot().fetch_sub(usable(ptr), Ordering::Relaxed);
        // SAFETY: the caller guarantees `ptr` came from this allocator with `layout`.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = usable(ptr);
        // SAFETY: the caller upholds `realloc`'s contract; forwarded as is.
        let new = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            slot().fetch_add(usable(new) - old, Ordering::Relaxed);
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Other tests of this process allocate and free at the same time, so one look can
    /// be off by what they did meanwhile: the 4 MiB must show up in one of a few tries.
    #[test]
    fn counts_what_is_live() {
        let seen = (0..20).any(|_| {
            let before = used_bytes();
            let big: Vec<u8> = Vec::with_capacity(4 << 20);
            let during = used_bytes();
            drop(big);
            let after = used_bytes();
            during >= before + (4 << 20) - (1 << 20) && after + (3 << 20) < during
        });
        assert!(seen, "a live 4 MiB block never showed in used_bytes()");
    }
}
