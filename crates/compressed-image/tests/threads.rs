//! Thread safety (hardening.md §3.7.1–3): one channel read from 8 threads at once through
//! `Arc<Channel>`, and many lazy mask channels edited in parallel, cryptomatte-style.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{Rng, assert_same, check_channel, smooth};
use compressed_image::{Channel, Image, Params};

#[test]
fn one_channel_read_from_eight_threads() {
    let (w, h) = (640, 200);
    let data = Arc::new(smooth::<f32>(w, h, &mut Rng::new(21)));
    let ch =
        Arc::new(Channel::from_slice(&data, w, h, Params::default().chunk_size(40_000)).unwrap());
    assert!(ch.num_chunks() > 8);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (ch, data) = (Arc::clone(&ch), Arc::clone(&data));
            s.spawn(move || {
                let mut buf = vec![0.0f32; ch.chunk_elems()];
                for round in 0..4 {
                    // Each thread starts at a different chunk so reads overlap in time.
                    for k in 0..ch.num_chunks() {
                        let i = (k + t + round) % ch.num_chunks();
                        let r = ch.chunk_range(i).unwrap();
                        ch.get_chunk(i, &mut buf[..r.len()]).unwrap();
                        assert_same(&buf[..r.len()], &data[r]);
                    }
                    for view in ch.chunks() {
                        let view = view.unwrap();
                        assert_same(&view, &data[ch.chunk_range(view.index()).unwrap()]);
                    }
                    assert_eq!(ch.get(t, round).unwrap(), data[round * w + t]);
                }
            });
        }
    });
}

#[test]
fn many_masks_edited_in_parallel() {
    // Like cryptomatte extraction: a lazy zeros mask per id, chunks touched sparsely, by
    // several threads each owning a subset of the masks.
    let (w, h) = (96, 64);
    let params = Params::default().chunk_size(w * 4 * 8);
    let template = Channel::<f32>::zeros(w, h, params).unwrap();
    let mut masks: Vec<Channel<f32>> = (0..64).map(|_| Channel::zeros_like(&template)).collect();
    let mut models: Vec<Vec<f32>> = vec![vec![0.0; w * h]; masks.len()];
    let nthreads = 4;
    let per = masks.len() / nthreads;
    std::thread::scope(|s| {
        for (t, (masks, models)) in masks
            .chunks_mut(per)
            .zip(models.chunks_mut(per))
            .enumerate()
        {
            let template = &template;
            s.spawn(move || {
                let mut rng = Rng::new(100 + t as u64);
                let mut scratch = vec![0.0f32; template.chunk_elems()];
                for _ in 0..40 {
                    let m = rng.below(masks.len());
                    let i = rng.below(template.num_chunks());
                    let r = template.chunk_range(i).unwrap();
                    let buf = &mut scratch[..r.len()];
                    masks[m].get_chunk(i, buf).unwrap();
                    let px = rng.below(r.len());
                    buf[px] += 0.25;
                    masks[m].set_chunk(i, buf).unwrap();
                    models[m][r.start + px] += 0.25;
                }
                // And a parallel pass per mask from inside the thread.
                for (mask, model) in masks.iter_mut().zip(models.iter_mut()) {
                    mask.par_chunks_mut(|c| {
                        if c.index() == 1 {
                            c[0] += 1.0;
                        }
                    })
                    .unwrap();
                    model[template.chunk_range(1).unwrap().start] += 1.0;
                }
            });
        }
    });
    for (mask, model) in masks.iter().zip(&models) {
        check_channel(mask, model);
    }
    // 160 random edits plus one per mask can materialise at most 224 of the 512 chunks; the
    // rest stay lazy (one float each).
    let lazy: usize = masks.iter().map(Channel::num_lazy_chunks).sum();
    assert!(lazy >= 512 - 224, "{lazy}");
    // Channels moved into an image stay usable from other threads.
    let mut img = Image::new(w, h);
    for (i, m) in masks.into_iter().enumerate() {
        img.add_channel(format!("id{i}").as_str(), m).unwrap();
    }
    let img = Arc::new(img);
    std::thread::scope(|s| {
        for t in 0..4 {
            let img = Arc::clone(&img);
            let models = &models;
            s.spawn(move || {
                let name = format!("id{}", t * 7);
                assert_same(
                    &img.channel(&name).unwrap().to_vec().unwrap(),
                    &models[t * 7],
                );
            });
        }
    });
}
