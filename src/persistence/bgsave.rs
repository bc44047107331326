//! BGSAVE without fork: a point-in-time cut of every table ([`crate::storage::Table`]'s
//! `begin_cut`), begun on every shard at one point of the transaction order. Each shard
//! then writes out its untouched segments a few at a time (one message round trip per
//! step, so clients are served in between), while the before-change hook serializes
//! any segment a write is about to change, as it was at the cut. The serialized keys
//! stay on the shard's thread (a thread-local buffer: one shard per thread) until the
//! cut ends; the coordinator then assembles the file and writes it from a helper thread.

use std::cell::RefCell;

use super::{DbChunk, DbChunks};
use crate::shard::Shard;
use crate::storage::Entry;

/// Segments each database writes out per step.
pub const SEGMENTS_PER_STEP: usize = 8;

struct CutState {
    /// Database `i`'s table was cut at epoch `epoch_base + i`: tables move between
    /// indexes (SWAPDB) during a cut, and their epoch says which database they were.
    epoch_base: u64,
    compress: bool,
    now_ms: u64,
    chunks: Vec<DbChunks>,
}

thread_local! {
    static CUT: RefCell<Option<CutState>> = const { RefCell::new(None) };
}

fn serialize_into(db: usize, entries: &mut dyn Iterator<Item = &Entry>) {
    CUT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(st) = c.as_mut() else { return };
        let (compress, now_ms) = (st.compress, st.now_ms);
        let Some(chunks) = st.chunks.get_mut(db) else {
            return;
        };
        for e in entries {
            chunks.put(e, compress, now_ms);
        }
    });
}

/// Begins the cut on every database of `shard` (run under the save's whole-shard lock).
pub fn begin(shard: &mut Shard, compress: bool, now_ms: u64) {
    let chunks = (0..shard.dbs.len()).map(DbChunks::new).collect();
    let epoch_base = shard.dbs.iter().map(|d| d.table.epoch()).max().unwrap_or(0) + 1;
    CUT.with(|c| {
        *c.borrow_mut() = Some(CutState {
            epoch_base,
            compress,
            now_ms,
            chunks,
        })
    });
    for (db, d) in shard.dbs.iter_mut().enumerate() {
        // Epochs only need to grow; each table skips to its database's own.
        while d
            .table
            .begin_cut(Box::new(move |entries| serialize_into(db, entries)))
            < epoch_base + db as u64
        {}
    }
}

/// The database a table was when the cut began.
fn cut_db(epoch: u64) -> usize {
    CUT.with(|c| {
        c.borrow()
            .as_ref()
            .map_or(0, |st| epoch.saturating_sub(st.epoch_base) as usize)
    })
}

/// Writes out up to [`SEGMENTS_PER_STEP`] segments per database; true when done.
pub fn step(shard: &mut Shard) -> bool {
    let mut done = true;
    for d in shard.dbs.iter_mut() {
        let db = cut_db(d.table.epoch());
        for _ in 0..SEGMENTS_PER_STEP {
            if !d
                .table
                .write_out_next(&mut |entries| serialize_into(db, entries))
            {
                break;
            }
            done = false;
        }
    }
    done
}

/// Ends the cut and hands over what this shard serialized.
pub fn finish(shard: &mut Shard) -> Vec<DbChunk> {
    for d in shard.dbs.iter_mut() {
        d.table.end_cut();
    }
    CUT.with(|c| c.borrow_mut().take())
        .map(|st| st.chunks.into_iter().flat_map(DbChunks::finish).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Value;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn shard() -> Shard {
        let config = crate::config::Config::from_args(&[]).unwrap().0;
        Shard::new(0, 1, Arc::new(config.settings().clone()))
    }

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// Writes, deletes, SWAPDB and FLUSHDB during the cut: the file holds the data as
    /// it was when the cut began.
    #[test]
    fn the_file_is_the_dataset_at_the_cut() {
        let mut s = shard();
        let mut expected = BTreeMap::new();
        for i in 0..5000 {
            s.dbs[0]
                .table
                .insert(Entry::new(&key(i), Value::Int(i as i64)));
            expected.insert((0, key(i)), i as i64);
        }
        for i in 0..3000 {
            s.dbs[1]
                .table
                .insert(Entry::new(&key(i), Value::Int(-(i as i64))));
            expected.insert((1, key(i)), -(i as i64));
        }
        s.dbs[0]
            .table
            .insert(Entry::new(b"expired", Value::Int(1)).with_expire(5));
        begin(&mut s, true, 1000);
        assert!(!step(&mut s));
        for i in (0..5000).step_by(3) {
            s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(7)));
        }
        for i in (1..5000).step_by(5) {
            s.dbs[0].table.remove(&key(i));
        }
        for i in 5000..9000 {
            s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(0)));
        }
        s.dbs.swap(0, 1);
        step(&mut s);
        s.dbs[0].table.clear();
        s.dbs[1].table.insert(Entry::new(b"late", Value::Int(0)));
        while !step(&mut s) {}
        let chunks = finish(&mut s);
        let file = super::super::assemble(vec![chunks], 0, 0);
        let mut got = BTreeMap::new();
        super::super::read::load(&file, &Default::default(), 16, 1000, |db, k, v, _| {
            let Value::Int(n) = v else {
                panic!("not an int")
            };
            assert!(got.insert((db, k), n).is_none(), "a key written twice");
        })
        .unwrap();
        assert_eq!(got, expected);
        // The next cut starts clean.
        begin(&mut s, false, 1000);
        while !step(&mut s) {}
        assert_eq!(
            finish(&mut s).iter().map(|c| c.keys).sum::<u64>(),
            5000 - 1000 + 4000 + 1
        );
    }
}
