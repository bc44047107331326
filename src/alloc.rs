//! The process's global allocator: mimalloc, wrapped to count the bytes in use (what
//! INFO's `used_memory` and maxmemory read; mimalloc's own statistics read zero in
//! release builds). Counting is per thread: each thread adds and subtracts the usable
//! size of its allocations and frees on its own cache-line-padded slot, so the hot path
//! never shares a cache line. A block freed by another thread than the one that
//! allocated it moves bytes between slots; only the sum is exact, so readers sum.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

use mimalloc::MiMalloc;

/// Counter slots: one per stripe of [`crate::util::striped`] (threads past that many
/// share slots: still exact, slightly slower).
pub const SLOTS_COUNT_MAX: usize = crate::util::striped::STRIPES_COUNT_MAX;

#[repr(align(64))]
struct Slot(AtomicI64);

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: Slot = Slot(AtomicI64::new(0));
static SLOTS: [Slot; SLOTS_COUNT_MAX] = [ZERO; SLOTS_COUNT_MAX];

fn slot() -> &'static AtomicI64 {
    &SLOTS[crate::util::striped::this_thread_stripe()].0
}

/// Bytes allocated and not yet freed, by the whole process.
pub fn used_bytes() -> u64 {
    let sum: i64 = SLOTS.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    sum.max(0) as u64
}

/// Returns this thread's freed pages, and every page any thread freed, to the system
/// (MEMORY PURGE, and the clock thread once per [`PURGE_PERIOD_MS`]).
pub fn purge() {
    // SAFETY: mi_collect walks the calling thread's own heap, then mimalloc's shared
    // arenas, which it guards for concurrent use.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Index of `mi_option_purge_delay` in the mimalloc (v3) that libmimalloc-sys builds;
/// the crate names only the options both versions share. A test pins it.
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
/// How often the clock thread returns freed pages to the system.
pub const PURGE_PERIOD_MS: u64 = 1000;
/// How long mimalloc lets freed pages wait before it returns them on its own: twice the
/// clock thread's period, so the clock thread always gets there first.
const ALLOCATOR_PURGE_DELAY_MS: libc::c_long = 2 * PURGE_PERIOD_MS as libc::c_long;

/// Moves the return of freed pages to the system off the shard threads. mimalloc does
/// it inside whichever allocation or free finds the delay expired, all pages freed
/// since the last time in one go: during growth that measured 3-5 ms of `madvise` once
/// a second, inside a SET. With a longer delay the clock thread, calling [`purge`]
/// every [`PURGE_PERIOD_MS`], does that work instead. Call before the threads start.
pub fn hand_purging_to_clock_thread() {
    // SAFETY: mi_option_set stores an integer in mimalloc's option table (an atomic
    // store); the index is the purge delay's (see MI_OPTION_PURGE_DELAY).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ALLOCATOR_PURGE_DELAY_MS) }
}

/// The size of a memory page, in bytes.
pub fn page_bytes() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// Resident set size of the process, in bytes (0 when /proc is unavailable).
pub fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let resident_pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    resident_pages * page_bytes()
}

/// Turns transparent huge pages off for this process (Redis's `disable-thp`). mimalloc
/// asks the kernel for huge pages on its arenas, and with THP on, the first touch of a
/// fresh 2 MiB region zeroes (and may first compact memory for) a whole huge page: a
/// table segment's growth measured 5-7 ms of CPU in one allocation, a latency spike
/// in whatever command triggered it. False when the kernel refused.
pub fn disable_transparent_huge_pages() -> bool {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes a flag of
    // this process's memory map; no memory is passed or borrowed.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 }
}

/// mimalloc with byte counting.
pub struct Counting;

fn usable(ptr: *mut u8) -> i64 {
    // SAFETY: `ptr` was returned by mimalloc (every block of this allocator is) and is
    // live; mi_usable_size only reads mimalloc's page metadata for it.
    unsafe { libmimalloc_sys::mi_usable_size(ptr.cast()) as i64 }
}

/// Alignment every mimalloc block of at least this size has (its `MI_MAX_ALIGN_SIZE`,
/// as C's malloc guarantees for `max_align_t`).
const MALLOC_ALIGN: usize = 16;

/// Whether plain `mi_malloc` satisfies `align` for `size` (the rule std's own System
/// allocator uses). The `mimalloc` crate always calls `mi_malloc_aligned`, and mimalloc
/// 3 serves an aligned request whose size class is not a power of two from a block
/// `align - 1` bytes larger once the current page of its class is full: every 48-byte
/// allocation then costs 64 bytes, 96 costs 112, and so on.
fn plain_malloc_fits(align: usize, size: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

// SAFETY: every method forwards to mimalloc (plain malloc/zalloc/realloc when the
// requested alignment is one mimalloc guarantees anyway for that size, else MiMalloc's
// aligned calls), which upholds GlobalAlloc's contract; the counting around it touches
// only atomics and a const thread-local without destructor, so it neither allocates
// nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = if plain_malloc_fits(layout.align(), layout.size()) {
            // SAFETY: mi_malloc returns a block of at least `size` bytes aligned to
            // `min(size class, 16)`, which covers `align` here.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast::<u8>() }
        } else {
            // SAFETY: the caller upholds `alloc`'s contract (non-zero size); forwarded.
            unsafe { MiMalloc.alloc(layout) }
        };
        if !ptr.is_null() {
            slot().fetch_add(usable(ptr), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = if plain_malloc_fits(layout.align(), layout.size()) {
            // SAFETY: as in `alloc`; mi_zalloc also zeroes the block.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast::<u8>() }
        } else {
            // SAFETY: as `alloc`.
            unsafe { MiMalloc.alloc_zeroed(layout) }
        };
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
        let new = if plain_malloc_fits(layout.align(), new_size) {
            // SAFETY: `ptr` is a live mimalloc block (either path allocates from the same
            // heap); the new block is aligned as in `alloc`.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast::<u8>() }
        } else {
            // SAFETY: the caller upholds `realloc`'s contract; forwarded as is.
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        };
        if !new.is_null() {
            slot().fetch_add(usable(new) - old, Ordering::Relaxed);
        }
        new
    }
}

// ---- key blocks: relocatable allocations (active defragmentation) ---------------------
//
// After many deletes, mimalloc's pages are left partly used: RSS stays while used
// memory falls, and new allocations only refill the holes. Blocks that can move (the
// keyspace's entries) are therefore allocated from a heap of their own per thread, a
// *generation*. Defragmenting starts a new generation, moves every block into it (the
// new heap takes fresh, dense pages), then deletes the old heap, whose pages are by then
// empty and go back to the system. Blocks are freed through the global allocator as
// usual (`mi_free` serves every heap); a block left behind in an old heap when it is
// deleted stays valid (mimalloc moves it to the thread's default heap).

struct BlockHeaps {
    /// Where new blocks go; null until this thread's first block.
    current: Cell<*mut libmimalloc_sys::mi_heap_t>,
    /// The generation being emptied by a defragmentation pass; null when none runs.
    draining: Cell<*mut libmimalloc_sys::mi_heap_t>,
}

thread_local! {
    static BLOCK_HEAPS: BlockHeaps = const {
        BlockHeaps {
            current: Cell::new(std::ptr::null_mut()),
            draining: Cell::new(std::ptr::null_mut()),
        }
    };
}

fn current_block_heap() -> *mut libmimalloc_sys::mi_heap_t {
    BLOCK_HEAPS.with(|h| {
        if h.current.get().is_null() {
            // SAFETY: creates a heap owned by (and only used from) this thread.
            h.current.set(unsafe { libmimalloc_sys::mi_heap_new() });
        }
        h.current.get()
    })
}

/// Allocates a block that a defragmentation pass may move, in this thread's current
/// generation; null when out of memory. Free it with `std::alloc::dealloc` like any
/// other allocation (the counting allocator's `dealloc` handles it).
pub fn block_alloc(layout: Layout) -> *mut u8 {
    let heap = current_block_heap();
    if heap.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `heap` was created by this thread and is live (generations are deleted
    // only by `end_block_generation`, on the same thread, after a new one took over).
    let size = layout.size().max(1);
    let ptr = if plain_malloc_fits(layout.align(), size) {
        // SAFETY: as above; mimalloc's own alignment covers `align` (see `Counting`).
        unsafe { libmimalloc_sys::mi_heap_malloc(heap, size) }
    } else {
        // SAFETY: as above.
        unsafe { libmimalloc_sys::mi_heap_malloc_aligned(heap, size, layout.align()) }
    }
    .cast::<u8>();
    if !ptr.is_null() {
        slot().fetch_add(usable(ptr), Ordering::Relaxed);
    }
    ptr
}

/// Starts a defragmentation pass on this thread: new blocks go to a fresh generation.
/// False (and nothing changes) while an earlier pass has not ended.
pub fn begin_block_generation() -> bool {
    BLOCK_HEAPS.with(|h| {
        if !h.draining.get().is_null() {
            return false;
        }
        // SAFETY: a new heap owned by this thread.
        let fresh = unsafe { libmimalloc_sys::mi_heap_new() };
        if fresh.is_null() {
            return false;
        }
        h.draining.set(h.current.get());
        h.current.set(fresh);
        true
    })
}

/// Ends this thread's defragmentation pass: the drained generation is deleted (its
/// empty pages return to the system; any block still in it stays valid) and freed
/// pages are purged.
pub fn end_block_generation() {
    BLOCK_HEAPS.with(|h| {
        let old = h.draining.replace(std::ptr::null_mut());
        if !old.is_null() {
            // SAFETY: `old` is a heap of this thread that nothing allocates from any
            // more; deleting it migrates remaining blocks, it frees none.
            unsafe { libmimalloc_sys::mi_heap_delete(old) };
        }
    });
    purge();
}

/// True while a defragmentation pass runs on this thread.
pub fn block_generation_draining() -> bool {
    BLOCK_HEAPS.with(|h| !h.draining.get().is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option index is the purge delay's: mimalloc's default (1000 ms) or ours, a
    /// value no neighbouring option has by default (1 and 0).
    #[test]
    fn purge_delay_option_index_is_right() {
        /// mimalloc's own default for that option, in milliseconds.
        const MI_PURGE_DELAY_DEFAULT_MS: libc::c_long = 1000;
        // SAFETY: reads an integer from mimalloc's option table.
        let delay_ms = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert!(
            delay_ms == MI_PURGE_DELAY_DEFAULT_MS || delay_ms == ALLOCATOR_PURGE_DELAY_MS,
            "option {MI_OPTION_PURGE_DELAY} reads {delay_ms}"
        );
    }

    /// Blocks move to a new generation and the old one is deleted: the blocks stay
    /// valid, are counted while live and freed through the global allocator.
    #[test]
    fn block_generations_move_and_free() {
        let layout = Layout::from_size_align(48, 8).unwrap();
        let mut old: Vec<*mut u8> = (0..1000).map(|_| block_alloc(layout)).collect();
        assert!(old.iter().all(|p| !p.is_null()));
        // This one stays behind in the old generation.
        let straggler = old.pop().unwrap();
        // SAFETY: a live 48-byte block.
        unsafe { std::ptr::write_bytes(straggler, 9, 48) };
        assert!(begin_block_generation());
        assert!(!begin_block_generation(), "one pass at a time");
        assert!(block_generation_draining());
        let moved: Vec<*mut u8> = old
            .iter()
            .map(|&p| {
                let q = block_alloc(layout);
                // SAFETY: both blocks are live, 48 bytes, distinct.
                unsafe {
                    std::ptr::write_bytes(p, 7, 48);
                    std::ptr::copy_nonoverlapping(p, q, 48);
                    std::alloc::dealloc(p, layout);
                }
                q
            })
            .collect();
        end_block_generation();
        assert!(!block_generation_draining());
        for &p in &moved {
            // SAFETY: live blocks of 48 bytes written above.
            assert_eq!(unsafe { *p.add(47) }, 7);
        }
        for p in moved {
            // SAFETY: each block is freed once, with its layout.
            unsafe { std::alloc::dealloc(p, layout) };
        }
        // The block left in the deleted generation is intact and frees normally.
        // SAFETY: live, written above, freed once.
        unsafe {
            assert_eq!(*straggler.add(47), 9);
            std::alloc::dealloc(straggler, layout);
        }
    }

    /// Other tests of this process allocate and free at the same time, so one look can
    /// be off by what they did meanwhile: the 4 MiB must show up in one of a few tries.
    #[test]
    fn transparent_huge_pages_can_be_turned_off() {
        assert!(disable_transparent_huge_pages());
        // SAFETY: PR_GET_THP_DISABLE takes no pointers; it returns the flag.
        let flag = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(flag, 1);
    }

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

    /// Many 48-byte, 8-aligned blocks (several mimalloc pages' worth): each costs 48
    /// bytes, not the 64 of an over-allocated aligned request.
    #[test]
    fn small_blocks_use_their_exact_size_class() {
        let layout = Layout::from_size_align(48, 8).unwrap();
        let blocks: Vec<*mut u8> = (0..10_000)
            .map(|_| {
                // SAFETY: a non-zero-size layout.
                unsafe { std::alloc::alloc(layout) }
            })
            .collect();
        for &p in &blocks {
            assert_eq!(p as usize % 16, 0);
            assert_eq!(usable(p), 48);
        }
        for p in blocks {
            // SAFETY: allocated above with this layout.
            unsafe { std::alloc::dealloc(p, layout) }
        }
    }
}
