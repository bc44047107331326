//! Tests of point-in-time cuts: segment versions and the before-change hook.

use super::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

fn key(i: u64) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

/// A table of keys `0..n`, each holding its number.
fn first_keys(n: u64) -> Table {
    let mut t = Table::new();
    for i in 0..n {
        t.insert(Entry::new(&key(i), Value::Int(i as i64)));
    }
    t
}

fn int_of(e: &Entry) -> i64 {
    match e.value() {
        crate::storage::ValueRef::Int(v) => v,
        _ => panic!("test values are integers"),
    }
}

use crate::util::test_rng::Rng;

type Written = Rc<RefCell<Vec<(Vec<u8>, i64)>>>;

fn collector(written: &Written) -> BeforeChange {
    let written = written.clone();
    Box::new(move |entries: &mut dyn Iterator<Item = &Entry>| {
        let mut w = written.borrow_mut();
        for e in entries {
            w.push((e.key().to_vec(), int_of(e)));
        }
    })
}

/// One call of the walker, its entries appended to `written`; false once it is done.
fn walker_step(t: &mut Table, written: &Written) -> bool {
    let w = written.clone();
    t.write_out_next(&mut |entries| {
        w.borrow_mut()
            .extend(entries.map(|e| (e.key().to_vec(), int_of(e))))
    })
}

#[test]
fn no_cut_no_hook_and_versions_stay() {
    let mut t = first_keys(2000);
    assert_eq!(t.epoch(), 0);
    assert!(t.segment_versions().all(|v| v == 0));
    assert!(!t.write_out_next(&mut |_| panic!("nothing to write")));
}

#[test]
fn hook_runs_once_per_entry_and_walker_bumps_versions() {
    let mut t = first_keys(3000);
    let calls = Rc::new(RefCell::new(0usize));
    let c = calls.clone();
    let epoch = t.begin_cut(Box::new(move |_| *c.borrow_mut() += 1));
    assert_eq!(epoch, 1);
    assert!(t.segment_versions().all(|v| v == 0));
    // Many changes to the same key: it is handed out once.
    for n in 0..100 {
        t.get_mut(&key(7)).unwrap().set_value(Value::Int(n));
    }
    assert_eq!(*calls.borrow(), 1);
    // Reading changes nothing; a miss in an untouched segment hands out nothing either.
    assert!(t.get(&key(8)).is_some());
    assert!(t.remove(b"absent").is_none());
    assert!(!t.set_expire(b"absent", 5));
    assert_eq!(*calls.borrow(), 1);
    // The walker still visits that segment, for the rest of its entries.
    let mut walked = 0;
    while t.write_out_next(&mut |entries| walked += entries.count()) {}
    assert_eq!(walked, t.len() - 1);
    assert!(t.segment_versions().all(|v| v == epoch));
    // Everything is at the epoch: further changes call nothing.
    t.insert(Entry::new(b"late", Value::Int(1)));
    assert_eq!(*calls.borrow(), 1);
    assert!(t.end_cut().is_some());
}

/// Random changes interleaved with walker steps: what the hook and the walker hand out
/// together is exactly the table at the cut, each key once.
#[test]
fn a_cut_sees_exactly_the_table_at_the_cut() {
    const KEYS: u64 = 20_000;
    for seed in [1u64, 2, 3, 4, 5, 6, 7, 0xdead_beef] {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut t = Table::new();
        for i in 0..KEYS {
            let e = Entry::new(&key(i), Value::Int(i as i64));
            t.insert(e.with_expire(if i % 5 == 0 { 1_000 } else { 0 }));
        }
        let at_cut: BTreeMap<Vec<u8>, i64> =
            t.iter().map(|e| (e.key().to_vec(), int_of(e))).collect();
        let written: Written = Rc::default();
        t.begin_cut(collector(&written));
        let mut walker_done = false;
        let mut step = 0u64;
        while !walker_done {
            step += 1;
            let k = key(rng.next() % (2 * KEYS));
            // The walker takes one step in 64: thousands of single-entry changes, splits,
            // resizes and tidies happen in segments it has not reached.
            match rng.next() % 64 {
                0..=15 => {
                    t.insert(Entry::new(&k, Value::Int(-1)));
                }
                16..=27 => {
                    if let Some(e) = t.get_mut(&k) {
                        e.set_value(Value::Int(-2));
                    }
                }
                28..=45 => {
                    t.remove(&k);
                }
                46..=50 => {
                    t.set_expire(&k, 0);
                }
                51 => {
                    t.expire_step(rng.next() % POSITION_END, 200, 2_000, |_| {});
                }
                52 if step.is_multiple_of(5_000) => drop(t.clear()),
                53..=62 => {
                    t.touch(&k, |a| a + 1);
                }
                _ => walker_done = !walker_step(&mut t, &written),
            }
        }
        t.end_cut();
        let mut seen: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
        for (k, v) in written.borrow().iter() {
            assert!(
                seen.insert(k.clone(), *v).is_none(),
                "seed {seed}: {k:?} handed out twice"
            );
        }
        assert_eq!(seen, at_cut, "seed {seed}");
    }
}

#[test]
fn a_second_cut_starts_over() {
    let mut t = first_keys(1500);
    for round in 1..=2u64 {
        let written: Written = Rc::default();
        assert_eq!(t.begin_cut(collector(&written)), round);
        while walker_step(&mut t, &written) {}
        t.end_cut();
        assert_eq!(written.borrow().len(), 1500, "round {round}");
    }
}

/// Walks the rest of the cut into `written`, ends it, and checks that everything handed
/// out is keys `0..n` with their values at the cut, each once.
fn finish_and_expect_first_keys(t: &mut Table, written: &Written, n: u64) {
    while walker_step(t, written) {}
    t.end_cut();
    let mut all: Vec<_> = written.borrow().clone();
    all.sort();
    let mut want: Vec<_> = (0..n).map(|i| (key(i), i as i64)).collect();
    want.sort();
    assert_eq!(all, want);
}

/// A write hands out the one entry it changes, not its segment; the walker hands out the
/// rest of the segment, skipping that entry and keys created after the cut.
#[test]
fn hook_hands_out_only_the_changed_entry() {
    let mut t = first_keys(3000);
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    t.get_mut(&key(7)).unwrap().set_value(Value::Int(-7));
    t.set_expire(&key(8), 5);
    t.remove(&key(9));
    t.insert(Entry::new(&key(10), Value::Int(-10)));
    let hooked: Vec<_> = written.borrow().clone();
    assert_eq!(
        hooked,
        vec![(key(7), 7), (key(8), 8), (key(9), 9), (key(10), 10)]
    );
    // New keys are not part of the cut, and inserting them hands out nothing, even where
    // a segment resizes or splits for them (their marks move with the entries).
    let segments_before = t.segment_versions().count();
    for i in 0..3000 {
        t.insert(Entry::new(&key(100_000 + i), Value::Int(-1)));
    }
    assert!(
        t.segment_versions().count() > segments_before,
        "segments split"
    );
    assert_eq!(written.borrow().len(), hooked.len());
    finish_and_expect_first_keys(&mut t, &written, 3000);
}

/// Mass removal during a cut shrinks segments (their slots move): the hook hands out
/// only the removed keys, and the marks move with the rest, so no entry is lost or
/// handed out twice.
#[test]
fn shrinking_segments_hand_out_only_what_goes() {
    let mut t = first_keys(3000);
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    let mut removed = 0;
    for i in (0..3000).filter(|i| i % 4 != 0) {
        assert!(t.remove(&key(i)).is_some());
        removed += 1;
        if i % 7 == 0 {
            t.insert(Entry::new(&key(10_000 + i), Value::Int(-1)));
        }
    }
    assert_eq!(written.borrow().len(), removed);
    finish_and_expect_first_keys(&mut t, &written, 3000);
}

/// The walker is inside a segment, hooks have marked entries of others, and then every
/// segment splits (some more than once) and resizes: each key of the cut is still handed
/// out once. (The walker must start its segment over: the slots it had passed moved.)
#[test]
fn growth_during_a_cut_moves_the_marks() {
    let mut t = first_keys(3000);
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    assert!(walker_step(&mut t, &written));
    for i in (0..3000).step_by(11) {
        t.touch(&key(i), |a| a + 1);
    }
    let segments_before = t.segment_versions().count();
    for i in 0..20_000 {
        t.insert(Entry::new(&key(100_000 + i), Value::Int(-1)));
    }
    assert!(t.segment_versions().count() > 4 * segments_before);
    finish_and_expect_first_keys(&mut t, &written, 3000);
}

/// One segment (fewer keys than a split needs), the walker inside it, then inserts that
/// resize it and removals that shrink it: the walker starts it over, so no key of the
/// cut is skipped.
#[test]
fn a_walker_inside_a_rebuilt_segment_starts_it_over() {
    let mut t = first_keys(400);
    assert_eq!(t.segment_versions().count(), 1);
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    assert!(walker_step(&mut t, &written));
    for i in 0..500 {
        t.insert(Entry::new(&key(100_000 + i), Value::Int(-1)));
    }
    assert!(walker_step(&mut t, &written));
    for i in 0..500 {
        t.remove(&key(100_000 + i));
    }
    assert_eq!(t.segment_versions().count(), 1, "no split");
    finish_and_expect_first_keys(&mut t, &written, 400);
}

/// Seeded: a cut taken while the table grows fast (mostly new keys, with changes and
/// removals of old ones, and walker steps in between) hands out exactly the table at
/// the cut.
#[test]
fn a_cut_of_a_growing_table_is_exact() {
    for seed in [11u64, 12, 13, 14] {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut t = first_keys(2000);
        let written: Written = Rc::default();
        t.begin_cut(collector(&written));
        let mut fresh = 1_000_000u64;
        let mut walker_done = false;
        while !walker_done {
            let old = key(rng.next() % 2000);
            match rng.next() % 16 {
                0..=9 => {
                    fresh += 1;
                    t.insert(Entry::new(&key(fresh), Value::Int(-1)));
                }
                10 => {
                    t.remove(&old);
                }
                11 => {
                    t.insert(Entry::new(&old, Value::Int(-2)));
                }
                12 => {
                    t.touch(&old, |a| a + 1);
                }
                _ => walker_done = !walker_step(&mut t, &written),
            }
        }
        t.end_cut();
        let mut all = written.borrow().clone();
        all.sort();
        let want: Vec<_> = {
            let mut v: Vec<_> = (0..2000).map(|i| (key(i), i as i64)).collect();
            v.sort();
            v
        };
        assert_eq!(all, want, "seed {seed}");
    }
}

/// The walker stops inside a segment (a step of large values must be able to end
/// early); the hook then hands out only entries the walker has not, and a segment is
/// at the epoch only once its last slot was passed.
#[test]
fn the_walker_hands_out_a_segment_in_pieces() {
    let mut t = first_keys(3000);
    let written: Written = Rc::default();
    let epoch = t.begin_cut(collector(&written));
    let first: Written = Rc::default();
    assert!(walker_step(&mut t, &first));
    assert_eq!(first.borrow().len(), WALK_ENTRIES_PER_CALL);
    assert!(
        t.segment_versions().all(|v| v < epoch),
        "no segment is done yet"
    );
    // Changing a key the walker handed out calls no hook; changing one it has not yet
    // reached hands it out once.
    let walked_key = first.borrow()[0].0.clone();
    t.get_mut(&walked_key).unwrap().set_value(Value::Int(-1));
    assert!(written.borrow().is_empty());
    let pending = (0..3000)
        .map(key)
        .find(|k| !first.borrow().iter().any(|(w, _)| w == k))
        .unwrap();
    t.get_mut(&pending).unwrap().set_value(Value::Int(-1));
    assert_eq!(written.borrow().len(), 1);
    written.borrow_mut().extend(first.borrow().iter().cloned());
    finish_and_expect_first_keys(&mut t, &written, 3000);
}

/// CLEAR during a cut hands nothing to the hook (it runs inside a client's FLUSHDB):
/// the segments the cut still needs are set aside, the walker hands them out, and each
/// is freed once handed out. Keys written after the CLEAR are not part of the cut, and a
/// second CLEAR keeps what the first set aside.
#[test]
fn clear_during_a_cut_leaves_the_old_segments_to_the_walker() {
    let mut t = first_keys(5000);
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    assert!(walker_step(&mut t, &written));
    t.get_mut(&key(3)).unwrap().set_value(Value::Int(-3));
    let hooked = written.borrow().len();
    t.clear();
    assert_eq!(written.borrow().len(), hooked, "CLEAR hands nothing out");
    assert_eq!(t.len(), 0);
    assert!(t.get(&key(4)).is_none());
    let retired = t.retired.len();
    assert!(retired > 1, "the old segments wait for the walker");
    for i in 0..3000 {
        t.insert(Entry::new(&key(100_000 + i), Value::Int(-1)));
    }
    assert!(walker_step(&mut t, &written));
    t.clear();
    assert_eq!(written.borrow().len(), hooked + WALK_ENTRIES_PER_CALL);
    let mut freed = false;
    while walker_step(&mut t, &written) {
        freed |= t.retired.len() < retired;
    }
    assert!(
        freed && t.retired.is_empty(),
        "freed as they are handed out"
    );
    finish_and_expect_first_keys(&mut t, &written, 5000);
}

/// A cut abandoned before its walker finished frees what CLEAR set aside for it; the next
/// cut sees only the table.
#[test]
fn an_abandoned_cut_frees_the_cleared_segments() {
    let mut t = first_keys(3000);
    t.begin_cut(Box::new(|_| {}));
    t.clear();
    assert!(!t.retired.is_empty());
    t.end_cut();
    assert!(t.retired.is_empty());
    t.insert(Entry::new(&key(0), Value::Int(0)));
    let written: Written = Rc::default();
    t.begin_cut(collector(&written));
    finish_and_expect_first_keys(&mut t, &written, 1);
}
