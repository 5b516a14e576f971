"""Chunk iteration and the chunk-by-chunk patterns from the documentation."""

import numpy as np
import pytest

import compressed_image as ci
from conftest import DTYPES, sample, same_bits

W, H = 120, 50


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_chunks_iterates_every_chunk_in_order(dtype):
    data = sample(dtype, H, W)
    ch = ci.Channel(data, W, H, chunk_size=W * np.dtype(dtype).itemsize * 16)
    assert ch.num_chunks() == 4
    chunks = list(ch.chunks())
    assert len(chunks) == 4
    assert [c.size for c in chunks] == [ch.chunk_elems(i) for i in range(4)]
    assert all(c.ndim == 1 and c.dtype == dtype for c in chunks)
    assert same_bits(np.concatenate(chunks), data.ravel())


def test_chunk_iterator_protocol():
    ch = ci.Channel.zeros(np.uint8, 10, 10, chunk_size=30)
    it = ch.chunks()
    assert iter(it) is it
    assert it.__length_hint__() == 4
    next(it)
    assert it.__length_hint__() == 3
    assert len(list(it)) == 3
    with pytest.raises(StopIteration):
        next(it)
    # A new iterator starts again; each chunk is a fresh array, not a view of the channel.
    first = next(ch.chunks())
    first[:] = 9
    assert not ch.get_decompressed().any()


def test_iteration_with_coordinates():
    """Each chunk covers whole scanlines: element i of chunk c is pixel c * chunk_elems() + i."""
    data = sample(np.float32, H, W)
    ch = ci.Channel(data, W, H, chunk_size=W * 4 * 16)
    for index, chunk in enumerate(ch.chunks()):
        start = index * ch.chunk_elems()
        y0 = start // W
        rows = chunk.reshape(-1, W)
        assert np.array_equal(rows, data[y0 : y0 + rows.shape[0]])


def test_reuse_one_buffer_for_all_chunks_but_the_last():
    """The documented buffer-reuse pattern: one buffer of chunk_elems() for every full chunk,
    then the (possibly shorter) last chunk separately."""
    data = sample(np.uint16, H, W)
    ch = ci.Channel(data, W, H, chunk_size=W * 2 * 16)
    buffer = np.empty(ch.chunk_elems(), dtype=ch.dtype)
    total = 0
    for i in range(ch.num_chunks() - 1):
        ch.get_chunk(i, buffer)
        assert np.array_equal(buffer, data.ravel()[i * buffer.size : (i + 1) * buffer.size])
        total += int(buffer.sum(dtype=np.int64))
    last_index = ch.num_chunks() - 1
    last = ch.get_chunk(last_index)
    assert last.size == ch.chunk_elems(last_index) < buffer.size
    total += int(last.sum(dtype=np.int64))
    assert total == int(data.sum(dtype=np.int64))
    # The last chunk can also go into a view of the same buffer.
    view = buffer[: ch.chunk_elems(last_index)]
    assert ch.get_chunk(last_index, view) is view
    assert np.array_equal(view, last)


def test_fill_selected_chunks_of_a_lazy_zeros_channel():
    """The mask pattern: create lazy zeros, write only the chunks something lands in."""
    width, height = 256, 256
    mask = ci.Channel.zeros(np.float32, width, height, chunk_size=width * 4 * 32)
    assert mask.num_chunks() == 8
    expected = np.zeros((height, width), dtype=np.float32)
    for i in (1, 5, 6):
        chunk = mask.get_chunk(i)
        rows = chunk.reshape(-1, width)
        rows[:, 10:20] = 0.5 + i
        mask.set_chunk(i, chunk)
        y0 = i * 32
        expected[y0 : y0 + 32, 10:20] = 0.5 + i
    assert np.array_equal(mask.get_decompressed(), expected)
    # The five untouched chunks still cost one float each.
    written = mask.compressed_bytes() - 5 * 4
    assert 0 < written < 3 * 32 * width * 4
    for i in (0, 2, 3, 4, 7):
        assert not mask.get_chunk(i).any()


def test_edit_every_chunk_with_one_buffer():
    data = sample(np.int16, H, W)
    ch = ci.Channel(data, W, H, chunk_size=W * 2 * 16)
    buffer = np.empty(ch.chunk_elems(), dtype=np.int16)
    for i in range(ch.num_chunks()):
        view = buffer[: ch.chunk_elems(i)]
        ch.get_chunk(i, view)
        view *= 2
        ch.set_chunk(i, view)
    assert np.array_equal(ch.get_decompressed(), data * 2)


def test_zip_chunks_of_several_channels():
    """Channels with one geometry can be walked in lock-step (e.g. R, G, B)."""
    r, g, b = (sample(np.uint8, H, W, seed=s) for s in (1, 2, 3))
    channels = [ci.Channel(x, W, H, chunk_size=W * 16) for x in (r, g, b)]
    luma = ci.Channel.zeros_like(channels[0])
    for i, (cr, cg, cb) in enumerate(zip(*(c.chunks() for c in channels))):
        y = (cr.astype(np.uint16) + cg + cb) // 3
        luma.set_chunk(i, y.astype(np.uint8))
    expected = ((r.astype(np.uint16) + g + b) // 3).astype(np.uint8)
    assert np.array_equal(luma.get_decompressed(), expected)
