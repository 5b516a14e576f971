//! Chunk iteration: read-only views, write guards with x/y helpers, recompression only after
//! mutable access, and `par_chunks_mut` matching the serial path.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Rng, assert_same, check_channel, smooth, snapshot};
use compressed_image::{Channel, Params};

/// 53 × 29 f32 in 4-row chunks (4 × 53 × 4 = 848 bytes, asked as 900): 8 chunks, the last 1 row.
fn channel() -> (Channel<f32>, Vec<f32>) {
    let (w, h) = (53, 29);
    let data = smooth::<f32>(w, h, &mut Rng::new(11));
    let ch = Channel::from_slice(&data, w, h, Params::default().chunk_size(900)).unwrap();
    assert_eq!((ch.num_chunks(), ch.chunk_len(7)), (8, Some(53)));
    (ch, data)
}

fn value(x: usize, y: usize) -> f32 {
    (x * 1000 + y) as f32
}

#[test]
fn guard_x_y_follow_the_global_index() {
    let (mut ch, _) = channel();
    let (w, h) = (ch.width(), ch.height());
    let mut seen = Vec::new();
    let mut it = ch.chunks_mut();
    assert_eq!(it.remaining(), 8);
    while let Some(mut chunk) = it.next() {
        let start = chunk.index() * 4 * w;
        assert_eq!(chunk.start(), start);
        assert_eq!(chunk.width(), w);
        assert_eq!(chunk.y_range().start, chunk.index() * 4);
        for i in 0..chunk.len() {
            let g = start + i;
            assert_eq!((chunk.x(i), chunk.y(i)), (g % w, g / w));
            assert_eq!(chunk.xy(i), (g % w, g / w));
            let (x, y) = chunk.xy(i);
            chunk[i] = value(x, y);
        }
        assert!(chunk.is_modified());
        seen.push(chunk.index());
    }
    assert_eq!(it.remaining(), 0);
    it.finish().unwrap();
    assert_eq!(seen, (0..8).collect::<Vec<_>>());
    let model: Vec<f32> = (0..w * h).map(|g| value(g % w, g / w)).collect();
    check_channel(&ch, &model);
}

#[test]
fn pixels_mut_and_rows_mut() {
    let (mut ch, data) = channel();
    let w = ch.width();
    let mut count = 0;
    ch.for_each_chunk_mut(|chunk| {
        let y_range = chunk.y_range();
        for (x, y, v) in chunk.pixels_mut() {
            assert!(y_range.contains(&y) && x < w);
            *v += value(x, y);
            count += 1;
        }
    })
    .unwrap();
    assert_eq!(count, data.len());
    let model: Vec<f32> = data
        .iter()
        .enumerate()
        .map(|(g, d)| d + value(g % w, g / w))
        .collect();
    check_channel(&ch, &model);

    ch.for_each_chunk_mut(|chunk| {
        let rows = chunk.y_range();
        let mut ys = Vec::new();
        for (y, row) in chunk.rows_mut() {
            assert_eq!(row.len(), w);
            row.fill(y as f32);
            ys.push(y);
        }
        assert_eq!(ys, rows.collect::<Vec<_>>());
    })
    .unwrap();
    let model: Vec<f32> = (0..data.len()).map(|g| (g / w) as f32).collect();
    check_channel(&ch, &model);
    // Every chunk now holds whole rows of one value each; only one-row chunks are uniform.
    assert_eq!(ch.num_lazy_chunks(), 1);
}

#[test]
fn read_only_guard_access_does_not_recompress() {
    let (mut ch, data) = channel();
    let before = snapshot(&ch);
    let mut sum = 0.0f64;
    ch.for_each_chunk_mut(|chunk| {
        for (x, y, v) in chunk.pixels() {
            assert_eq!(*v, data[y * 53 + x]);
        }
        sum += chunk.iter().map(|&v| f64::from(v)).sum::<f64>();
        assert!(!chunk.is_modified());
    })
    .unwrap();
    assert_eq!(sum, data.iter().map(|&v| f64::from(v)).sum::<f64>());
    assert_eq!(snapshot(&ch), before);
}

#[test]
fn iteration_can_stop_early() {
    let (mut ch, mut model) = channel();
    let mut it = ch.chunks_mut();
    for _ in 0..3 {
        let mut chunk = it.next().unwrap();
        chunk[0] = -1.0;
    }
    it.finish().unwrap();
    for i in 0..3 {
        model[i * 4 * 53] = -1.0;
    }
    check_channel(&ch, &model);
    // An explicit commit returns Ok and the guard is consumed.
    let mut it = ch.chunks_mut();
    let mut chunk = it.next().unwrap();
    chunk[1] = -2.0;
    chunk.commit().unwrap();
    it.finish().unwrap();
    model[1] = -2.0;
    check_channel(&ch, &model);
}

#[test]
fn read_only_chunks() {
    let (ch, data) = channel();
    let views: Vec<_> = ch.chunks().collect::<Result<_, _>>().unwrap();
    assert_eq!(views.len(), 8);
    assert_eq!(ch.chunks().len(), 8);
    for (i, view) in views.iter().enumerate() {
        assert_eq!(view.index(), i);
        let r = ch.chunk_range(i).unwrap();
        assert_eq!(view.start(), r.start);
        assert_same(view, &data[r]);
        for (x, y, v) in view.pixels() {
            assert_eq!(*v, data[y * 53 + x]);
        }
        assert_eq!(view.rows().len(), view.y_range().len());
    }
    let last = ch.chunks().next_back().unwrap().unwrap();
    assert_eq!((last.index(), last.len(), last.y(0)), (7, 53, 28));
    assert_eq!(last.clone().into_vec(), data[28 * 53..]);

    // Walking two channels in lock-step (the C++ library's `ranges::zip`).
    let doubled = Channel::from_fn(53, 29, ch.params().clone(), |x, y| 2.0 * data[y * 53 + x]);
    let doubled = doubled.unwrap();
    for (a, b) in ch.chunks().zip(doubled.chunks()) {
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.iter().zip(b.iter()).all(|(a, b)| 2.0 * a == *b));
    }
}

#[test]
fn par_chunks_mut_equals_serial() {
    let (w, h) = (257, 131);
    let data = smooth::<u16>(w, h, &mut Rng::new(5));
    for chunk_size in [1, 700, 4096, 1 << 20] {
        let params = Params::default().chunk_size(chunk_size);
        let mut serial = Channel::from_slice(&data, w, h, params.clone()).unwrap();
        let mut parallel = serial.clone();
        let edit = |chunk: &mut compressed_image::ChunkMut<'_, u16>| {
            // Leave every third chunk untouched, make every fifth constant (lazy).
            match chunk.index() % 15 {
                0 => chunk.fill(7),
                i if i % 3 == 0 => {}
                _ => {
                    for (x, y, v) in chunk.pixels_mut() {
                        *v = v.wrapping_mul(3).wrapping_add((x ^ y) as u16);
                    }
                }
            }
        };
        serial.for_each_chunk_mut(edit).unwrap();
        parallel.par_chunks_mut(edit).unwrap();
        assert_eq!(snapshot(&parallel), snapshot(&serial));
        let model: Vec<u16> = serial.to_vec().unwrap();
        check_channel(&parallel, &model);
    }
}

#[test]
fn from_fn_builds_chunk_by_chunk() {
    let ch = Channel::from_fn(31, 17, Params::default().chunk_size(31 * 4 * 3), value).unwrap();
    let model: Vec<f32> = (0..31 * 17).map(|g| value(g % 31, g / 31)).collect();
    check_channel(&ch, &model);
}

#[test]
fn par_chunks_mut_equals_serial_multi_mib() {
    // 1024 × 1024 f32 (4 MiB) in 64 chunks of 16 rows: enough chunks for work stealing.
    let (w, h) = (1024, 1024);
    let data = smooth::<f32>(w, h, &mut Rng::new(8));
    let params = Params::default().chunk_size(w * 4 * 16);
    let mut serial = Channel::from_slice(&data, w, h, params).unwrap();
    let mut parallel = serial.clone();
    let edit = |chunk: &mut compressed_image::ChunkMut<'_, f32>| {
        if chunk.index() % 4 != 3 {
            for (x, y, v) in chunk.pixels_mut() {
                *v = *v * 0.5 + (x % 7) as f32 - (y % 5) as f32;
            }
        }
    };
    serial.for_each_chunk_mut(edit).unwrap();
    parallel.par_chunks_mut(edit).unwrap();
    assert_eq!(snapshot(&parallel), snapshot(&serial));
    let model: Vec<f32> = data
        .iter()
        .enumerate()
        .map(|(g, &v)| {
            let (x, y) = (g % w, g / w);
            if (y / 16) % 4 != 3 {
                v * 0.5 + (x % 7) as f32 - (y % 5) as f32
            } else {
                v
            }
        })
        .collect();
    check_channel(&parallel, &model);
}
