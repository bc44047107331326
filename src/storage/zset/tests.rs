//! Randomized model tests of both encodings against a `BTreeSet<(score, member)>` plus a
//! `HashMap`, with ranks, range counts and rank walks. `SHOAL_SEED` replays a seed.

use super::*;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Copy, PartialEq)]
struct Score(f64);
impl PartialOrd for Score {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Eq for Score {}
impl Ord for Score {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.partial_cmp(&o.0).unwrap_or(Ordering::Equal)
    }
}

use crate::util::test_rng::Rng;

fn seed() -> u64 {
    crate::util::test_rng::seed(0x2a5e_7001)
}

fn run_model(limits: ZLimits, steps: usize, keyspace: u64, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut z = ZSetValue::new_for(limits, 0);
    let mut order: BTreeSet<(Score, Vec<u8>)> = BTreeSet::new();
    let mut scores: HashMap<Vec<u8>, f64> = HashMap::new();
    for step in 0..steps {
        let k = rng.next() % keyspace;
        let member = if k.is_multiple_of(5) {
            format!("a-long-member-over-22-bytes-{k}").into_bytes()
        } else {
            format!("m{k}").into_bytes()
        };
        let ctx = format!("seed {seed} step {step}");
        match rng.next() % 8 {
            0..=3 => {
                let score =
                    ((rng.next() % 50) as f64) - 25.0 + if k.is_multiple_of(3) { 0.5 } else { 0.0 };
                let old = z.insert(&member, score, limits);
                let model_old = scores.insert(member.clone(), score);
                assert_eq!(old, model_old, "{ctx}");
                if let Some(o) = model_old {
                    order.remove(&(Score(o), member.clone()));
                }
                order.insert((Score(score), member.clone()));
            }
            4 | 5 => {
                let old = z.remove(&member);
                let model_old = scores.remove(&member);
                assert_eq!(old, model_old, "{ctx}");
                if let Some(o) = model_old {
                    order.remove(&(Score(o), member.clone()));
                }
            }
            6 => {
                let r = z.rank(&member);
                let model = scores
                    .get(&member)
                    .map(|&s| (order.range(..(Score(s), member.clone())).count(), s));
                assert_eq!(r, model, "{ctx}");
                let bound = ((rng.next() % 60) as f64) - 30.0;
                let below = z.partition_point(|s, _| s < bound);
                assert_eq!(
                    below,
                    order.iter().filter(|(s, _)| s.0 < bound).count(),
                    "{ctx}"
                );
            }
            _ => {
                if !order.is_empty() {
                    let start = (rng.next() as usize) % order.len();
                    let count = 1 + (rng.next() as usize) % 20;
                    let rev = rng.next().is_multiple_of(2);
                    let mut got = Vec::new();
                    z.walk(start, count, rev, |m, s| {
                        got.push((Score(s), m.to_vec()));
                        true
                    });
                    let all: Vec<_> = order.iter().cloned().collect();
                    let want: Vec<_> = if rev {
                        all[..=start].iter().rev().take(count).cloned().collect()
                    } else {
                        all[start..].iter().take(count).cloned().collect()
                    };
                    assert!(got == want, "{ctx}: walk {start} {count} {rev}");
                    let (m, s) = z.at_rank(start);
                    assert!((Score(s), m.to_vec()) == all[start], "{ctx}");
                }
            }
        }
        assert_eq!(z.len(), order.len(), "{ctx}");
        if let ZSetValue::Skiplist(t) = &z
            && step % 97 == 0
        {
            t.check();
        }
    }
    if let ZSetValue::Skiplist(t) = &z {
        t.check();
    }
}

#[test]
fn listpack_matches_model() {
    let limits = ZLimits {
        entries: usize::MAX,
        value_bytes: usize::MAX,
    };
    run_model(limits, 5_000, 60, seed());
}

#[test]
fn skiplist_matches_model() {
    let limits = ZLimits {
        entries: 0,
        value_bytes: 64,
    };
    run_model(limits, 60_000, 3_000, seed());
    run_model(limits, 20_000, 40, seed() ^ 0xabc);
}

#[test]
fn converts_at_threshold_and_keeps_order() {
    let limits = ZLimits {
        entries: 128,
        value_bytes: 64,
    };
    run_model(limits, 20_000, 300, seed() ^ 0x77);
    let mut z = ZSetValue::new_for(limits, 1);
    for i in 0..128 {
        z.insert(format!("{i}").as_bytes(), i as f64, limits);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"x", 0.0, limits);
    assert_eq!(z.encoding(), "skiplist");
    let mut z = ZSetValue::new_for(limits, 1);
    z.insert(&[b'a'; 64], 1.0, limits);
    assert_eq!(z.encoding(), "listpack");
    z.insert(&[b'a'; 65], 1.0, limits);
    assert_eq!(z.encoding(), "skiplist");
}

#[test]
fn remove_ranks_and_scan() {
    for limits in [
        ZLimits {
            entries: 0,
            value_bytes: 0,
        },
        ZLimits {
            entries: 1000,
            value_bytes: 64,
        },
    ] {
        let mut z = ZSetValue::new_for(limits, 1);
        for i in 0..500 {
            z.insert(format!("m{i:03}").as_bytes(), i as f64, limits);
        }
        assert_eq!(z.remove_ranks(100, 50), 50);
        assert_eq!(z.len(), 450);
        assert_eq!(z.at_rank(100).1, 150.0);
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, 10, |_, _| seen += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, 450);
        assert_eq!(z.remove_ranks(0, 10_000), 450);
        assert!(z.is_empty());
    }
}

#[test]
fn listpack_normalizes_negative_zero() {
    let limits = ZLimits {
        entries: 128,
        value_bytes: 64,
    };
    let mut z = ZSetValue::new_for(limits, 1);
    z.insert(b"a", -0.0, limits);
    assert!(z.score(b"a").unwrap().is_sign_positive());
    let mut t = ZSetValue::new_for(
        ZLimits {
            entries: 0,
            value_bytes: 64,
        },
        1,
    );
    t.insert(b"a", -0.0, limits);
    assert!(t.score(b"a").unwrap().is_sign_negative());
}

#[test]
fn deep_tree_survives_mass_removal() {
    let mut rng = Rng(seed() | 1);
    let mut t = Tree::new();
    const N: u64 = 150_000;
    for i in 0..N {
        t.insert(format!("member-{i}").as_bytes(), (rng.next() % 1000) as f64);
    }
    t.check();
    assert_eq!(t.len(), N as usize);
    // Ranks agree with a walk of the leaf chain.
    let mut previous: Option<(f64, Vec<u8>)> = None;
    let mut rank = 0;
    t.walk(0, usize::MAX, false, |m, s| {
        if let Some((ps, pm)) = &previous {
            assert_eq!(key_cmp(*ps, pm, s, m), Ordering::Less);
        }
        if rank % 9973 == 0 {
            assert_eq!(t.rank(m), Some((rank, s)));
        }
        previous = Some((s, m.to_vec()));
        rank += 1;
        true
    });
    for i in 0..N {
        if i % 10 != 0 {
            assert!(t.remove(format!("member-{i}").as_bytes()).is_some());
        }
    }
    t.check();
    assert_eq!(t.len(), (N / 10) as usize);
    for i in (0..N).step_by(10) {
        t.remove(format!("member-{i}").as_bytes());
    }
    assert!(t.is_empty());
}
