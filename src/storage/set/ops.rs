//! Set algebra over [`SetValue`]s, computed as Redis 7.0 computes it so results keep
//! Redis's order and encoding: the intersection walks the smallest set (an intset walks
//! ascending); union and difference build a fresh set (an intset while it can be), and
//! the difference picks Redis's algorithm (which decides whether a large first set
//! leaves the result a hashtable). A missing key is `None`, an empty set.

use super::{Member, SetValue};

/// Calls `visit` with each member of the intersection of `sets`, in the order of the
/// smallest set, until `visit` returns false. Nothing when any set is missing.
pub fn inter_each<'a>(sets: &[Option<&'a SetValue>], mut visit: impl FnMut(Member<'a>) -> bool) {
    let mut present: Vec<&'a SetValue> = Vec::with_capacity(sets.len());
    for s in sets {
        match s {
            Some(s) if !s.is_empty() => present.push(s),
            _ => return,
        }
    }
    if present.is_empty() {
        return;
    }
    present.sort_by_key(|s| s.len());
    let (smallest, others) = present.split_first().expect("not empty");
    for m in smallest.iter() {
        if others.iter().all(|o| o.contains_member(m)) && !visit(m) {
            return;
        }
    }
}

/// The intersection as a fresh set (SINTERSTORE).
pub fn inter(sets: &[Option<&SetValue>], intset_entries_max: u64) -> SetValue {
    let mut out = SetValue::new();
    inter_each(sets, |m| {
        out.add_member(m, intset_entries_max);
        true
    });
    out
}

/// The size of the intersection, counting up to `limit` (0: no limit) (SINTERCARD).
pub fn inter_card(sets: &[Option<&SetValue>], limit: usize) -> usize {
    let mut n = 0;
    inter_each(sets, |_| {
        n += 1;
        limit == 0 || n < limit
    });
    n
}

/// The union as a fresh set (SUNION, SUNIONSTORE).
pub fn union(sets: &[Option<&SetValue>], intset_entries_max: u64) -> SetValue {
    let mut out = SetValue::new();
    for s in sets.iter().flatten() {
        for m in s.iter() {
            out.add_member(m, intset_entries_max);
        }
    }
    out
}

/// The members of the first set in none of the others, as a fresh set (SDIFF,
/// SDIFFSTORE). Redis's choice: algorithm 1 checks each member of the first set against
/// the others; algorithm 2 adds the whole first set and removes the others' members.
pub fn diff(sets: &[Option<&SetValue>], intset_entries_max: u64) -> SetValue {
    let mut out = SetValue::new();
    let Some(Some(first)) = sets.first() else {
        return out;
    };
    let (mut algo_one_work, mut algo_two_work) = (0u64, 0u64);
    for s in sets.iter().flatten() {
        algo_one_work += first.len() as u64;
        algo_two_work += s.len() as u64;
    }
    algo_one_work /= 2;
    let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
    if algo_one_work <= algo_two_work {
        for m in first.iter() {
            if !others.iter().any(|o| o.contains_member(m)) {
                out.add_member(m, intset_entries_max);
            }
        }
    } else {
        for m in first.iter() {
            out.add_member(m, intset_entries_max);
        }
        for o in &others {
            if out.is_empty() {
                break;
            }
            for m in o.iter() {
                out.remove_member(m);
            }
        }
    }
    out
}
