//! `compressed-image` target: operation sequences on a `Channel<T>` against a plain `Vec<T>`.

use compressed_image::{Channel, Codec, Element, ErrorKind, Filter, Params};

use crate::input::Input;

/// Element types the model runs on, made from fuzzer bits (`f32` includes NaN patterns and
/// ±0.0, which must be compared bitwise).
trait Val: Element {
    fn make(bits: u16) -> Self;
}

impl Val for u16 {
    fn make(bits: u16) -> Self {
        bits
    }
}

impl Val for f32 {
    fn make(bits: u16) -> Self {
        f32::from_bits(u32::from(bits).wrapping_mul(0x0001_8003))
    }
}

fn same<T: Element>(a: &[T], b: &[T]) -> bool {
    T::as_bytes(a) == T::as_bytes(b)
}

fn uniform<T: Element>(s: &[T]) -> bool {
    s.iter().all(|v| v.bits_eq(&s[0]))
}

/// Values for one chunk, shaped by the input: constant, few spikes, or fuzzer bits.
fn values<T: Val>(inp: &mut Input<'_>, len: usize) -> Vec<T> {
    match inp.below(3) {
        0 => vec![T::make(u16::from(inp.u8() % 4)); len],
        1 => {
            let mut v = vec![T::make(0); len];
            for _ in 0..1 + inp.below(3) {
                let at = inp.below(len);
                v[at] = T::make(inp.u16());
            }
            v
        }
        _ => (0..len).map(|i| T::make(inp.u16() ^ i as u16)).collect(),
    }
}

/// Observable state: values, compressed size, lazy values.
fn snapshot<T: Element>(ch: &Channel<T>) -> (Vec<u8>, usize, Vec<Option<Vec<u8>>>) {
    let values = T::as_bytes(&ch.to_vec().unwrap()).to_vec();
    let lazy = (0..ch.num_chunks())
        .map(|i| ch.chunk_fill_value(i).map(|v| T::as_bytes(&[v]).to_vec()))
        .collect();
    (values, ch.compressed_bytes(), lazy)
}

fn check<T: Element>(ch: &Channel<T>, model: &[T]) {
    assert!(
        same(&ch.to_vec().unwrap(), model),
        "channel differs from the model"
    );
    let mut buf = vec![T::zero(); ch.chunk_elems()];
    for i in 0..ch.num_chunks() {
        let range = ch.chunk_range(i).unwrap();
        let n = range.len();
        ch.get_chunk(i, &mut buf[..n]).unwrap();
        assert!(same(&buf[..n], &model[range.clone()]), "chunk {i} differs");
        assert_eq!(
            ch.is_chunk_lazy(i),
            uniform(&model[range]),
            "chunk {i} is lazy exactly when its values are uniform"
        );
    }
}

fn run<T: Val>(inp: &mut Input<'_>) {
    let (w, h) = (1 + inp.below(40), 1 + inp.below(40));
    let chunk_size = 1 + inp.below(6 * w * T::TYPESIZE);
    let codec = [Codec::Lz4, Codec::BloscLz][inp.below(2)];
    let filter = [
        Filter::Shuffle,
        Filter::NoFilter,
        Filter::BitShuffle,
        Filter::Delta,
    ][inp.below(4)];
    let params = Params::default()
        .codec(codec)
        .clevel(inp.below(10) as u8)
        .filter(filter)
        .chunk_size(chunk_size)
        .block_size(inp.below(4) * 64)
        .nthreads(1 + inp.below(3));
    let (mut ch, mut model) = if inp.bool() {
        let data = values::<T>(inp, w * h);
        (Channel::from_slice(&data, w, h, params).unwrap(), data)
    } else {
        let v = T::make(u16::from(inp.u8() % 3));
        (Channel::full(w, h, v, params).unwrap(), vec![v; w * h])
    };
    let n = ch.num_chunks();
    check(&ch, &model);
    for step in 0..48 {
        if inp.is_empty() {
            break;
        }
        let i = inp.below(n);
        let range = ch.chunk_range(i).unwrap();
        let lazy_before: Vec<bool> = (0..n).map(|k| ch.is_chunk_lazy(k)).collect();
        match inp.below(10) {
            0 | 1 => {
                let vals = values::<T>(inp, range.len());
                ch.set_chunk(i, &vals).unwrap();
                model[range].copy_from_slice(&vals);
            }
            // Bad index or length: InvalidParam, nothing changes.
            2 => {
                let before = snapshot(&ch);
                let (bad_i, len) = match inp.below(3) {
                    0 => (n + inp.below(3), range.len()),
                    1 => (i, range.len() + 1),
                    _ => (i, range.len() - 1),
                };
                let mut vals = vec![T::make(1); len];
                let r = ch.set_chunk(bad_i, &vals);
                assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::InvalidParam));
                let r = ch.get_chunk(bad_i, &mut vals);
                assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::InvalidParam));
                if bad_i >= n {
                    let r = ch.fill_chunk(bad_i, T::make(3));
                    assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::InvalidParam));
                }
                assert!(
                    snapshot(&ch) == before,
                    "step {step}: a failed call changed the channel"
                );
            }
            // Reads into dirty buffers never change what is stored (lazy stays lazy).
            3 => {
                let mut buf: Vec<T> = (0..range.len())
                    .map(|k| T::make(k as u16 ^ 0xBEEF))
                    .collect();
                ch.get_chunk(i, &mut buf).unwrap();
                assert!(same(&buf, &model[range]), "get_chunk into a dirty buffer");
                let (x, y) = (inp.below(w), inp.below(h));
                assert!(ch.get(x, y).unwrap().bits_eq(&model[y * w + x]));
                assert!(ch.get(w + inp.below(2), y).is_err() && ch.get(x, h).is_err());
                let views: Vec<_> = ch.chunks().map(Result::unwrap).collect();
                let flat: Vec<T> = views.into_iter().flat_map(|v| v.into_vec()).collect();
                assert!(same(&flat, &model));
                let lazy_after: Vec<bool> = (0..n).map(|k| ch.is_chunk_lazy(k)).collect();
                assert_eq!(lazy_after, lazy_before, "reading changed the storage");
            }
            4 => {
                let v = T::make(u16::from(inp.u8() % 3));
                ch.fill_chunk(i, v).unwrap();
                model[range].fill(v);
                assert!(ch.is_chunk_lazy(i));
            }
            // A pixel region, through chunks_mut, stopping early sometimes.
            5 => {
                let (x0, y0) = (inp.below(w), inp.below(h));
                let (x1, y1) = (x0 + inp.below(w - x0) + 1, y0 + inp.below(h - y0) + 1);
                let v = T::make(inp.u16());
                let stop = 1 + inp.below(n);
                let mut it = ch.chunks_mut();
                let mut k = 0;
                while let Some(mut chunk) = it.next() {
                    for (x, y, p) in chunk.pixels_mut() {
                        if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                            *p = v;
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
            // Iterating mutably without writing keeps every chunk as it was.
            6 => {
                let before = snapshot(&ch);
                ch.for_each_chunk_mut(|c| {
                    let _ = c.len();
                })
                .unwrap();
                assert!(
                    snapshot(&ch) == before,
                    "an unmodified guard changed the channel"
                );
            }
            7 => {
                let salt = inp.u8();
                let f = move |x: usize, y: usize, v: T| {
                    if (x * 3 + y) % 7 == usize::from(salt % 7) {
                        T::make((x * 31 + y) as u16)
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
            8 => {
                let v = T::make(u16::from(inp.u8() % 3));
                ch.fill(v);
                model.fill(v);
                assert_eq!(ch.num_lazy_chunks(), n);
            }
            _ => {
                // A clone is independent of the original.
                let mut copy = ch.clone();
                copy.fill_chunk(i, T::make(99)).unwrap();
            }
        }
        check(&ch, &model);
    }
}

/// Fuzz target `channel_model`: a sequence of operations (set_chunk, fill, get_chunk, get,
/// pixel regions through `chunks_mut`, `par_chunks_mut`, failing calls) on a `Channel<u16>` or
/// `Channel<f32>` and on a plain `Vec<T>`. Oracle: equal after every step (bitwise); failed
/// calls change nothing; a chunk is lazy exactly when its values are uniform; reads never
/// change the storage.
pub fn channel_model(data: &[u8]) {
    let mut inp = Input::new(data);
    if inp.bool() {
        run::<u16>(&mut inp);
    } else {
        run::<f32>(&mut inp);
    }
}
