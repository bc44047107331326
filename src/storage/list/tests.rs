//! Seeded randomized model test of [`ListValue`] against a `VecDeque`, plus the memory
//! bound for many small elements. Set `SHOAL_SEED` to replay a failing seed.

use std::collections::VecDeque;

use super::*;

use crate::util::test_rng::Rng;

fn element(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.below(10) {
        0 => rng.below(3000) as usize,
        1 => 0,
        _ => rng.below(20) as usize,
    };
    let v = rng.below(4) as u8;
    vec![b'a' + v; len]
}

fn check(list: &ListValue, model: &VecDeque<Vec<u8>>, seed: u64, step: usize) {
    assert_eq!(list.len(), model.len(), "seed {seed} step {step}");
    let got: Vec<&[u8]> = list.iter().collect();
    let want: Vec<&[u8]> = model.iter().map(|v| v.as_slice()).collect();
    assert_eq!(got, want, "seed {seed} step {step}");
    let mut rev: Vec<&[u8]> = list.iter_rev().collect();
    rev.reverse();
    assert_eq!(rev, want, "seed {seed} step {step}");
    assert!(
        list.inner.nodes.iter().all(|n| !n.is_empty()),
        "seed {seed}"
    );
}

fn run_model(seed: u64, fill: i64) {
    let mut rng = Rng(seed | 1);
    let mut list = ListValue::new(fill);
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for step in 0..3000 {
        match rng.below(12) {
            0 | 1 => {
                let e = element(&mut rng);
                list.push_back(&e);
                model.push_back(e);
            }
            2 | 3 => {
                let e = element(&mut rng);
                list.push_front(&e);
                model.push_front(e);
            }
            4 if step % 2 == 0 => assert_eq!(list.pop_front(), model.pop_front(), "seed {seed}"),
            4 => {
                let want = model.pop_back();
                assert_eq!(
                    list.peek(End::Right).map(|v| v.to_vec()),
                    want,
                    "seed {seed}"
                );
                list.discard(End::Right);
            }
            5 if step % 2 == 0 => assert_eq!(list.pop_back(), model.pop_back(), "seed {seed}"),
            5 => {
                let want = model.pop_front();
                assert_eq!(
                    list.peek(End::Left).map(|v| v.to_vec()),
                    want,
                    "seed {seed}"
                );
                list.discard(End::Left);
            }
            6 if !model.is_empty() => {
                let i = rng.below(model.len() as u64) as usize;
                assert_eq!(list.get(i), Some(model[i].as_slice()), "seed {seed}");
                let e = element(&mut rng);
                list.set(i, &e);
                model[i] = e;
            }
            7 => {
                let pivot = element(&mut rng);
                let value = element(&mut rng);
                let after = rng.below(2) == 0;
                let want = model.iter().position(|e| *e == pivot).map(|p| {
                    model.insert(if after { p + 1 } else { p }, value.clone());
                    model.len()
                });
                assert_eq!(list.insert(&pivot, after, &value), want, "seed {seed}");
            }
            8 => {
                let value = element(&mut rng);
                let count = rng.below(5) as i64 - 2;
                let limit = if count == 0 {
                    usize::MAX
                } else {
                    count.unsigned_abs() as usize
                };
                let mut removed = 0;
                if count >= 0 {
                    let mut i = 0;
                    while i < model.len() && removed < limit {
                        if model[i] == value {
                            model.remove(i);
                            removed += 1;
                        } else {
                            i += 1;
                        }
                    }
                } else {
                    let mut i = model.len();
                    while i > 0 && removed < limit {
                        i -= 1;
                        if model[i] == value {
                            model.remove(i);
                            removed += 1;
                        }
                    }
                }
                assert_eq!(list.remove(count, &value), removed, "seed {seed}");
            }
            9 if rng.below(10) == 0 => {
                let front = rng.below(model.len() as u64 / 3 + 1) as usize;
                let back = rng.below(model.len() as u64 / 3 + 1) as usize;
                list.trim(front, back);
                let front = front.min(model.len());
                model.drain(..front);
                let back = back.min(model.len());
                model.truncate(model.len() - back);
            }
            10 if !model.is_empty() => {
                let from = rng.below(model.len() as u64) as usize;
                let got: Vec<&[u8]> = list.iter_from(from).take(7).collect();
                let want: Vec<&[u8]> = model.iter().skip(from).take(7).map(|v| &v[..]).collect();
                assert_eq!(got, want, "seed {seed}");
            }
            _ => {
                let e = element(&mut rng);
                list.push_back(&e);
                model.push_back(e);
            }
        }
        if step % 97 == 0 {
            check(&list, &model, seed, step);
        }
    }
    check(&list, &model, seed, 3000);
}

#[test]
fn randomized_model() {
    let seed = crate::util::test_rng::seed_or_clock();
    println!("list model seed {seed} (SHOAL_SEED={seed} to replay)");
    for (i, fill) in [-2i64, -1, -5, 1, 3, 128, 0, -9].into_iter().enumerate() {
        run_model(seed.wrapping_add(i as u64), fill);
    }
}

#[test]
fn a_million_small_elements_stay_compact() {
    let mut list = ListValue::new(-2);
    for i in 0..1_000_000u64 {
        list.push_back(format!("{i:016}").as_bytes());
    }
    let per = list.heap_bytes() as f64 / 1_000_000.0;
    println!("{per:.2} heap bytes per 16-byte element (Redis 7.0: 18.2)");
    assert!(per <= 18.5, "{per} bytes per element");
    assert_eq!(list.get(123_456), Some(&b"0000000000123456"[..]));
}

#[test]
fn fill_bounds_nodes() {
    let mut list = ListValue::new(3);
    for i in 0..10 {
        list.push_back(&[i]);
    }
    assert_eq!(list.nodes_count(), 4);
    let mut big = ListValue::new(-1);
    for _ in 0..100 {
        big.push_front(&[0u8; 100]);
    }
    assert!(big.inner.nodes.iter().all(|n| n.bytes() <= 4096));
}
