//! The data a shard holds, with no knowledge of the network or of other shards:
//! [`value`] defines what a key can hold and [`table`] the segmented hash table that maps
//! keys to entries. [`Db`] is one logical database (SELECT index) of one shard.

pub mod dense;
pub mod entry;
pub mod hash;
pub mod list;
pub mod segment;
pub mod set;
pub mod table;
pub mod value;
pub mod zset;

pub use entry::Entry;
pub use table::{Cleared, ScanCursor, Table, WALK_ENTRIES_PER_CALL};
pub use value::{Value, ValueRef};

/// One database of one shard: the table plus the counters INFO keyspace reports.
#[derive(Default)]
pub struct Db {
    pub table: Table,
    /// Where the active expiry cycle resumes its walk of this table.
    pub expire_cursor: ScanCursor,
}

impl Db {
    pub fn new() -> Self {
        Db {
            table: Table::new(),
            expire_cursor: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Keys with a deadline (the `expires=` figure of INFO keyspace).
    pub fn volatile_len(&self) -> usize {
        self.table.volatile_len()
    }
}
