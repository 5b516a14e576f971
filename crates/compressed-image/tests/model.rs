//! Model-based test (the `channel_model` fuzz target of hardening.md §3.4, seeded): random
//! sequences of a few hundred operations on a `Channel<T>` and on a plain `Vec<T>`, some made
//! to fail, compared after every step. A failed operation must leave the channel unchanged, and a
//! chunk must be stored lazily exactly when its values are all equal.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Rng, TestElem, check_channel, random_bits, smooth, snapshot};
use compressed_image::half::f16;
use compressed_image::{Channel, ErrorKind, Params};

/// Values for one chunk: constant, smooth, random bits, or mostly-constant with a few spikes.
fn chunk_values<T: TestElem>(len: usize, w: usize, rng: &mut Rng) -> Vec<T> {
    match rng.below(4) {
        0 => vec![T::from_u64(rng.next_u64() % 4); len],
        1 => smooth(w, len / w, rng),
        2 => random_bits(len, rng),
        _ => {
            let mut v = vec![T::zero(); len];
            for _ in 0..rng.range(1, 3) {
                v[rng.below(len)] = T::from_u64(rng.next_u64() % 50);
            }
            v
        }
    }
}

fn run<T: TestElem>(seed: u64, ops: usize) {
    let mut rng = Rng::new(seed);
    let (w, h) = (rng.range(1, 40), rng.range(1, 40));
    let chunk_size = rng.range(1, 6 * w * T::TYPESIZE);
    let params = Params::default()
        .chunk_size(chunk_size)
        .clevel(rng.range(0, 9) as u8);
    let (mut ch, mut model) = if rng.chance(50) {
        let data = smooth::<T>(w, h, &mut rng);
        (Channel::from_slice(&data, w, h, params).unwrap(), data)
    } else {
        let v = T::from_u64(rng.next_u64() % 3);
        (Channel::full(w, h, v, params).unwrap(), vec![v; w * h])
    };
    let n = ch.num_chunks();
    let cap = ch.chunk_elems();
    for step in 0..ops {
        let op = rng.below(10);
        let i = rng.below(n);
        let range = ch.chunk_range(i).unwrap();
        match op {
            // set_chunk with valid input.
            0 | 1 => {
                let vals = chunk_values::<T>(range.len(), w, &mut rng);
                ch.set_chunk(i, &vals).unwrap();
                model[range].copy_from_slice(&vals);
            }
            // set_chunk / get_chunk with a bad index or length: an error, nothing changes.
            2 => {
                let before = snapshot(&ch);
                let (bad_i, len) = match rng.below(3) {
                    0 => (n + rng.below(3), range.len()),
                    1 => (i, range.len() + 1),
                    _ => (i, range.len() - 1),
                };
                let mut vals = vec![T::from_u64(1); len];
                assert_eq!(
                    ch.set_chunk(bad_i, &vals).unwrap_err().kind(),
                    ErrorKind::InvalidParam
                );
                assert_eq!(
                    ch.get_chunk(bad_i, &mut vals).unwrap_err().kind(),
                    ErrorKind::InvalidParam
                );
                assert_eq!(snapshot(&ch), before, "step {step}");
            }
            // get_chunk into a dirty reused buffer.
            3 => {
                let mut buf = random_bits::<T>(cap, &mut rng);
                ch.get_chunk(i, &mut buf[..range.len()]).unwrap();
                common::assert_same(&buf[..range.len()], &model[range]);
            }
            4 => {
                let v = T::from_u64(rng.next_u64() % 3);
                ch.fill_chunk(i, v).unwrap();
                model[range].fill(v);
            }
            // chunks_mut: sparse pixel edits in some chunks, stopping early sometimes.
            5 => {
                let stop = rng.range(1, n);
                let mut it = ch.chunks_mut();
                let mut k = 0;
                while let Some(mut chunk) = it.next() {
                    if rng.chance(60) {
                        for _ in 0..rng.range(1, 4) {
                            let p = rng.below(chunk.len());
                            let v = T::from_u64(rng.next_u64() % 5);
                            let (x, y) = chunk.xy(p);
                            chunk[p] = v;
                            model[y * w + x] = v;
                        }
                    }
                    k += 1;
                    if k == stop {
                        break;
                    }
                }
                it.finish().unwrap();
            }
            // par_chunks_mut with a deterministic edit of (x, y, value).
            6 => {
                let salt = rng.next_u64() % 7;
                let f = move |x: usize, y: usize, v: T| {
                    if (x + y) as u64 % 7 == salt {
                        T::from_u64((x * 3 + y) as u64)
                    } else {
                        v
                    }
                };
                ch.par_chunks_mut(|chunk| {
                    for (x, y, v) in chunk.pixels_mut() {
                        *v = f(x, y, *v);
                    }
                })
                .unwrap();
                for (g, v) in model.iter_mut().enumerate() {
                    *v = f(g % w, g / w, *v);
                }
            }
            7 => {
                let (x, y) = (rng.below(w), rng.below(h));
                assert!(ch.get(x, y).unwrap().bits_eq(&model[y * w + x]));
            }
            8 => {
                if rng.chance(10) {
                    let v = T::from_u64(rng.next_u64() % 3);
                    ch.fill(v);
                    model.fill(v);
                } else {
                    // A clone is independent of the original.
                    let mut copy = ch.clone();
                    copy.fill_chunk(i, T::from_u64(99)).unwrap();
                }
            }
            _ => {
                let views: Vec<_> = ch.chunks().map(Result::unwrap).collect();
                let flat: Vec<T> = views.into_iter().flat_map(|v| v.into_vec()).collect();
                common::assert_same(&flat, &model);
            }
        }
        check_channel(&ch, &model);
    }
}

#[test]
fn model_u8() {
    for seed in 0..8 {
        run::<u8>(seed, 300);
    }
}

#[test]
fn model_f32() {
    for seed in 10..18 {
        run::<f32>(seed, 300);
    }
}

#[test]
fn model_u16_i32_f16_f64() {
    run::<u16>(20, 300);
    run::<i32>(21, 300);
    run::<f16>(22, 300);
    run::<f64>(23, 300);
}
