"""Channel: construction, geometry and size queries, chunk access, for every dtype."""

import numpy as np
import pytest

import compressed_image as ci
from conftest import sample, same_bits

W, H = 100, 37


def rows_chunk(dtype, rows, width=W):
    """A chunk_size in bytes holding exactly `rows` scanlines."""
    return rows * width * np.dtype(dtype).itemsize


def test_module_exports_defaults():
    assert ci.DEFAULT_BLOCK_SIZE == 32768
    assert ci.DEFAULT_CHUNK_SIZE == 4194304
    assert ci.DEFAULT_COMPRESSION_LEVEL == 9
    assert isinstance(ci.__version__, str)


def test_roundtrip_from_1d_and_2d(dtype):
    data = sample(dtype, H, W)
    for source in (data, data.ravel()):
        ch = ci.Channel(source, W, H, chunk_size=rows_chunk(dtype, 8))
        out = ch.get_decompressed()
        assert out.dtype == dtype
        assert out.shape == (H, W)
        assert same_bits(out, data)
        assert ch.dtype == dtype
        assert ch.shape == (H, W)
        assert (ch.width, ch.height) == (W, H)
        assert ch.uncompressed_size() == W * H


def test_defaults(dtype):
    ch = ci.Channel(sample(dtype, H, W), W, H)
    assert ch.compression() == ci.Codec.lz4
    assert ch.compression_level() == 9
    assert ch.block_size() == 32768
    # 4 MiB is more than the whole channel: one chunk.
    assert ch.num_chunks() == 1
    assert ch.chunk_elems() == W * H
    assert ch.chunk_size() == W * H * dtype.itemsize
    assert ch.nthreads() == 1


def test_chunk_geometry(dtype):
    ch = ci.Channel(sample(dtype, H, W), W, H, block_size=4096, chunk_size=rows_chunk(dtype, 8))
    assert ch.num_chunks() == 5  # 8 + 8 + 8 + 8 + 5 rows
    assert ch.chunk_elems() == 8 * W
    assert [ch.chunk_elems(i) for i in range(5)] == [800, 800, 800, 800, 500]
    assert ch.chunk_elems(-1) == 500
    assert ch.chunk_size() == 800 * dtype.itemsize
    assert ch.chunk_size(4) == 500 * dtype.itemsize
    assert ch.chunk_size(-5) == 800 * dtype.itemsize
    assert ch.block_size() == 4096


@pytest.mark.parametrize(
    ("chunk_size", "rows"),
    [
        (W * 4 * 8 + 3, 8),  # rounded down to whole scanlines
        (W * 4 * 8 - 1, 7),
        (1, 1),  # at least one scanline
        (10**9, H),  # at most the whole channel
    ],
)
def test_chunk_size_is_rounded_to_scanlines(chunk_size, rows):
    ch = ci.Channel.zeros(np.float32, W, H, chunk_size=chunk_size)
    assert ch.chunk_elems() == rows * W
    assert ch.num_chunks() == -(-H // rows)


def test_get_chunk_returns_the_chunk_elements(dtype):
    data = sample(dtype, H, W)
    flat = data.ravel()
    ch = ci.Channel(data, W, H, chunk_size=rows_chunk(dtype, 8))
    n = ch.chunk_elems()
    for i in range(ch.num_chunks()):
        chunk = ch.get_chunk(i)
        assert chunk.ndim == 1
        assert chunk.dtype == dtype
        assert same_bits(chunk, flat[i * n : i * n + ch.chunk_elems(i)])
    assert same_bits(ch.get_chunk(-1), flat[4 * n :])
    assert same_bits(ch.get_chunk(-5), flat[:n])


def test_get_chunk_into_caller_array(dtype):
    data = sample(dtype, H, W)
    ch = ci.Channel(data, W, H, chunk_size=rows_chunk(dtype, 8))
    out = np.zeros(ch.chunk_elems(1), dtype=dtype)
    result = ch.get_chunk(1, out)
    assert result is out
    assert same_bits(out, data.ravel()[800:1600])
    # Any C-contiguous shape with the right number of elements works, e.g. whole rows.
    rows = np.zeros((8, W), dtype=dtype)
    ch.get_chunk(2, rows)
    assert same_bits(rows, data[16:24])
    # A caller array may be passed by keyword as well.
    ch.get_chunk(chunk_index=3, array=out)
    assert same_bits(out, data.ravel()[2400:3200])


def test_set_chunk_replaces_only_that_chunk(dtype):
    data = sample(dtype, H, W)
    ch = ci.Channel(data, W, H, chunk_size=rows_chunk(dtype, 8))
    new = sample(dtype, 8, W, seed=5)[::-1].copy()
    ch.set_chunk(1, new.ravel())
    expected = data.copy()
    expected[8:16] = new
    assert same_bits(ch.get_decompressed(), expected)
    # 2-D (rows, width) arrays and negative indices work too; the last chunk is shorter.
    last = sample(dtype, 5, W, seed=6)
    ch.set_chunk(-1, last)
    expected[32:] = last
    assert same_bits(ch.get_decompressed(), expected)


def test_set_chunk_accepts_non_contiguous_arrays(dtype):
    ch = ci.Channel.zeros(dtype, W, H, chunk_size=rows_chunk(dtype, 8))
    wide = sample(dtype, 8, 2 * W)
    view = wide[:, ::2]  # strided view
    assert not view.flags.c_contiguous
    ch.set_chunk(0, view)
    assert same_bits(ch.get_chunk(0), view.ravel())


def test_zeros(dtype):
    ch = ci.Channel.zeros(dtype, W, H, chunk_size=rows_chunk(dtype, 8))
    assert ch.dtype == dtype
    assert ch.shape == (H, W)
    assert ch.num_chunks() == 5
    # Lazy: one element per chunk until written.
    assert ch.compressed_bytes() == 5 * dtype.itemsize
    out = ch.get_decompressed()
    assert out.dtype == dtype
    assert same_bits(out, np.zeros((H, W), dtype=dtype))


@pytest.mark.parametrize("spelling", [np.float32, "float32", np.dtype("float32"), "f4"])
def test_dtype_spellings(spelling):
    assert ci.Channel.zeros(spelling, 4, 4).dtype == np.float32


def extremes(dtype):
    if dtype.kind == "f":
        info = np.finfo(dtype)
        return [float(info.max), float(info.min), -0.0, float("inf"), 0.1]
    info = np.iinfo(dtype)
    return [int(info.min), int(info.max), 1]


def test_full(dtype):
    for value in extremes(dtype):
        ch = ci.Channel.full(dtype, value, W, H, chunk_size=rows_chunk(dtype, 8))
        assert ch.compressed_bytes() == 5 * dtype.itemsize
        assert same_bits(ch.get_decompressed(), np.full((H, W), value, dtype=dtype))
    # NumPy scalars work as fill values.
    ch = ci.Channel.full(dtype, dtype.type(3), W, H)
    assert same_bits(ch.get_chunk(0), np.full(W * H, 3, dtype=dtype))


def test_full_nan():
    for dtype in (np.float16, np.float32, np.float64):
        out = ci.Channel.full(dtype, float("nan"), 8, 8).get_decompressed()
        assert np.isnan(out).all()


def test_zeros_like_and_full_like(dtype):
    src = ci.Channel(
        sample(dtype, H, W),
        W,
        H,
        compression_codec=ci.Codec.blosclz,
        compression_level=5,
        block_size=2048,
        chunk_size=rows_chunk(dtype, 8),
    )
    for like, value in ((ci.Channel.zeros_like(src), 0), (ci.Channel.full_like(src, 7), 7)):
        assert like.dtype == dtype
        assert like.shape == src.shape
        assert like.num_chunks() == src.num_chunks()
        assert like.chunk_elems() == src.chunk_elems()
        assert like.compression() == ci.Codec.blosclz
        assert like.compression_level() == 5
        assert like.block_size() == 2048
        assert like.compressed_bytes() == src.num_chunks() * dtype.itemsize
        assert same_bits(like.get_decompressed(), np.full((H, W), value, dtype=dtype))
    # The copies are independent of the source.
    like = ci.Channel.zeros_like(src)
    like.set_chunk(0, np.ones(like.chunk_elems(0), dtype=dtype))
    assert same_bits(src.get_decompressed(), sample(dtype, H, W))


def test_floats_are_stored_bitwise():
    for dtype in (np.float16, np.float32, np.float64):
        data = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-3, -2.5] * 20, dtype=dtype)
        ch = ci.Channel(data, 14, 10)
        assert same_bits(ch.get_decompressed().ravel(), data)


def test_compressed_bytes_and_ratio():
    data = sample(np.uint16, 512, 512)
    ch = ci.Channel(data, 512, 512, chunk_size=64 * 1024)
    assert 0 < ch.compressed_bytes() < data.nbytes
    assert ch.compression_ratio() == pytest.approx(data.nbytes / ch.compressed_bytes())
    assert ch.compression_ratio() > 1.5


def test_writing_a_uniform_chunk_makes_it_lazy():
    data = sample(np.float32, 64, 64)
    ch = ci.Channel(data, 64, 64, chunk_size=64 * 4 * 16)
    before = ch.compressed_bytes()
    ch.set_chunk(0, np.full(ch.chunk_elems(0), 2.5, dtype=np.float32))
    assert ch.compressed_bytes() < before
    ch.set_chunk(1, np.zeros(ch.chunk_elems(1), dtype=np.float32))
    ch.set_chunk(2, np.zeros(ch.chunk_elems(2), dtype=np.float32))
    ch.set_chunk(3, np.zeros(ch.chunk_elems(3), dtype=np.float32))
    assert ch.compressed_bytes() == 4 * 4


def test_update_nthreads():
    data = sample(np.float32, 256, 256)
    ch = ci.Channel(data, 256, 256, block_size=8192)
    ch.update_nthreads(4)
    assert ch.nthreads() == 4
    ch.update_nthreads(2, 8192)  # repeating the block size is fine
    assert ch.nthreads() == 2
    ch.set_chunk(0, data)
    assert np.array_equal(ch.get_decompressed(), data)
    ch.update_nthreads(nthreads=1, block_size=8192)
    assert ch.nthreads() == 1
    ch.update_nthreads(2, 32768)  # a new block size recompresses the chunks
    assert (ch.nthreads(), ch.block_size()) == (2, 32768)
    assert np.array_equal(ch.get_decompressed(), data)


def test_input_layouts_are_copied_when_needed(dtype):
    data = sample(dtype, H, W)
    for source in (
        np.asfortranarray(data),
        sample(dtype, H, 2 * W)[:, ::2],
        data[::-1][::-1],
    ):
        assert same_bits(ci.Channel(source, W, H).get_decompressed(), np.ascontiguousarray(source))


def test_misaligned_and_read_only_input():
    data = sample(np.float64, 10, 10)
    raw = bytearray(1) + bytearray(data.tobytes())
    misaligned = np.frombuffer(bytes(raw), dtype=np.float64, offset=1).reshape(10, 10)
    assert not misaligned.flags.aligned
    assert not misaligned.flags.writeable
    assert same_bits(ci.Channel(misaligned, 10, 10).get_decompressed(), data)


def test_array_likes_go_through_numpy_asarray():
    ch = ci.Channel([[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]], 3, 2)
    assert ch.dtype == np.float64
    assert ch.get_decompressed().tolist() == [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]


def test_properties_are_read_only():
    ch = ci.Channel.zeros(np.uint8, 4, 3)
    for name in ("dtype", "shape", "width", "height"):
        with pytest.raises(AttributeError):
            setattr(ch, name, 1)


def test_repr():
    ch = ci.Channel.zeros(np.uint16, 640, 480)
    text = repr(ch)
    assert "uint16" in text and "640" in text and "480" in text and "Codec.lz4" in text
