//! Unit tests of set values: a seeded randomized model test against `std` sets, the
//! encoding conversions, and the algebra of [`super::ops`].

use super::ops;
use super::*;
use std::collections::HashSet;

use crate::util::test_rng::Rng;

fn seed() -> u64 {
    crate::util::test_rng::seed_or_clock()
}

/// A member from a small pool: mostly integers (some not canonical), some words.
fn member(rng: &mut Rng) -> Vec<u8> {
    match rng.next() % 10 {
        0 => format!("w{}", rng.next() % 20).into_bytes(),
        1 => format!("0{}", rng.next() % 5).into_bytes(),
        2 => (i64::MIN + (rng.next() % 3) as i64)
            .to_string()
            .into_bytes(),
        _ => ((rng.next() % 200) as i64 - 100).to_string().into_bytes(),
    }
}

fn members(s: &SetValue) -> HashSet<Vec<u8>> {
    s.iter().map(|m| m.to_vec()).collect()
}

#[test]
fn matches_a_model_under_random_operations() {
    let seed = seed();
    let mut rng = Rng(seed | 1);
    for round in 0..50 {
        let max = [0u64, 1, 4, 16, 512][(rng.next() % 5) as usize];
        let mut set = SetValue::new();
        let mut model: HashSet<Vec<u8>> = HashSet::new();
        let mut must_be_table = false;
        for step in 0..400 {
            let ctx = format!("seed {seed} round {round} step {step} max {max}");
            let m = member(&mut rng);
            match rng.next() % 5 {
                0..=2 => {
                    assert_eq!(set.add(&m, max), model.insert(m.clone()), "{ctx}");
                    if parse_i64(&m).is_none() || model.len() as u64 > max {
                        must_be_table = true;
                    }
                }
                3 => assert_eq!(set.remove(&m), model.remove(&m), "{ctx}"),
                _ => {
                    if !set.is_empty() {
                        let at = (rng.next() % set.len() as u64) as usize;
                        let popped = set.remove_at(at);
                        assert!(model.remove(&popped), "{ctx}");
                    }
                }
            }
            assert_eq!(set.len(), model.len(), "{ctx}");
            assert_eq!(set.contains(&m), model.contains(&m), "{ctx}");
            assert_eq!(set.is_intset(), !must_be_table, "{ctx}");
        }
        assert_eq!(members(&set), model, "seed {seed} round {round}");
        if let SetValue::Ints(v) = &set {
            let all: Vec<i64> = v.iter().collect();
            assert!(all.windows(2).all(|w| w[0] < w[1]), "seed {seed}");
        }
    }
}

#[test]
fn intset_converts_at_the_limit_and_never_back() {
    let mut s = SetValue::new();
    for i in 0..3 {
        assert!(s.add(i.to_string().as_bytes(), 3));
    }
    assert_eq!(s.encoding(), "intset");
    assert!(!s.add(b"2", 3));
    assert!(s.add(b"3", 3));
    assert_eq!(s.encoding(), "hashtable");
    s.remove(b"3");
    s.remove(b"2");
    assert_eq!(s.encoding(), "hashtable");
    let mut t = SetValue::new();
    t.add(b"1", 512);
    t.add(b"01", 512);
    assert_eq!(t.encoding(), "hashtable");
    assert!(t.contains(b"1") && t.contains(b"01") && !t.contains(b"001"));
    let mut u = SetValue::new();
    u.add(b"-0", 512);
    assert_eq!(u.encoding(), "hashtable");
}

#[test]
fn intset_iterates_ascending() {
    let mut s = SetValue::new();
    for m in ["5", "-3", "100", "0", "-9223372036854775808"] {
        s.add(m.as_bytes(), 512);
    }
    let got: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
    let want: Vec<&[u8]> = vec![b"-9223372036854775808", b"-3", b"0", b"5", b"100"];
    assert_eq!(got, want);
    let mut seen = Vec::new();
    assert_eq!(s.scan(0, 1, |m| seen.push(m.to_vec())), 0);
    assert_eq!(seen.len(), 5);
}

fn set_of(items: &[&str], max: u64) -> SetValue {
    let mut s = SetValue::new();
    for i in items {
        s.add(i.as_bytes(), max);
    }
    s
}

#[test]
fn algebra_matches_std_sets() {
    let seed = seed();
    let mut rng = Rng(seed | 1);
    for round in 0..200 {
        let n = 1 + rng.next() % 4;
        let max = [2u64, 16, 512][(rng.next() % 3) as usize];
        let sets: Vec<Option<SetValue>> = (0..n)
            .map(|_| {
                (!rng.next().is_multiple_of(6)).then(|| {
                    let mut s = SetValue::new();
                    for _ in 0..(1 + rng.next() % 30) {
                        s.add(&member(&mut rng), max);
                    }
                    s
                })
            })
            .collect();
        let refs: Vec<Option<&SetValue>> = sets.iter().map(|s| s.as_ref()).collect();
        let models: Vec<HashSet<Vec<u8>>> = sets
            .iter()
            .map(|s| s.as_ref().map(members).unwrap_or_default())
            .collect();
        let ctx = format!("seed {seed} round {round}");
        let mut want_inter = models[0].clone();
        let mut want_union = HashSet::new();
        let mut want_diff = models[0].clone();
        for (i, m) in models.iter().enumerate() {
            want_inter.retain(|x| m.contains(x));
            want_union.extend(m.iter().cloned());
            if i > 0 {
                want_diff.retain(|x| !m.contains(x));
            }
        }
        assert_eq!(members(&ops::inter(&refs, max)), want_inter, "{ctx}");
        assert_eq!(members(&ops::union(&refs, max)), want_union, "{ctx}");
        assert_eq!(members(&ops::diff(&refs, max)), want_diff, "{ctx}");
        assert_eq!(ops::inter_card(&refs, 0), want_inter.len(), "{ctx}");
        assert_eq!(ops::inter_card(&refs, 2), want_inter.len().min(2), "{ctx}");
    }
}

#[test]
fn fresh_results_are_intsets_when_they_can_be() {
    let a = set_of(&["1", "2", "x"], 512);
    let b = set_of(&["2", "1", "y"], 512);
    assert_eq!(a.encoding(), "hashtable");
    let i = ops::inter(&[Some(&a), Some(&b)], 512);
    assert_eq!(i.encoding(), "intset");
    assert_eq!(i.len(), 2);
    let d = ops::diff(&[Some(&a), Some(&b)], 512);
    assert_eq!(d.encoding(), "hashtable");
    assert!(ops::inter(&[Some(&a), None], 512).is_empty());
    assert!(ops::diff(&[None, Some(&a)], 512).is_empty());
}

#[test]
fn value_stays_small() {
    assert!(std::mem::size_of::<SetValue>() <= 24);
}
