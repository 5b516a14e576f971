"""Wrong sizes, dtypes and indices raise clear Python exceptions (never a panic)."""

import numpy as np
import pytest

import compressed_image as ci
from conftest import sample

W, H = 20, 10


@pytest.fixture
def channel():
    # 4 chunks: 3 + 3 + 3 + 1 rows.
    return ci.Channel(sample(np.float32, H, W), W, H, chunk_size=W * 4 * 3)


def test_data_size_must_match():
    data = np.zeros(W * H, dtype=np.float32)
    with pytest.raises(ValueError, match="needs 200 elements, the array has 199"):
        ci.Channel(data[:-1], W, H)
    with pytest.raises(ValueError, match=r"shape \(height, width\) = \(10, 20\)"):
        ci.Channel(data.reshape(W, H), W, H)  # transposed
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ci.Channel(data.reshape(2, H, 10), W, H)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ci.Channel(np.float32(1), 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "no pixels"),
        ({"height": 0}, "no pixels"),
        ({"width": -1}, "width must not be negative"),
        ({"chunk_size": 0}, "chunk size"),
        ({"chunk_size": -5}, "chunk_size must not be negative"),
        ({"block_size": -1}, "block_size must not be negative"),
        ({"compression_level": 10}, "0..=9"),
        ({"compression_level": -1}, "0..=9"),
        ({"compression_codec": "snappy"}, "unknown codec"),
    ],
)
def test_bad_parameters_are_value_errors(kwargs, message):
    args = {"width": W, "height": H, **kwargs}
    width, height = args.pop("width"), args.pop("height")
    with pytest.raises(ValueError, match=message):
        ci.Channel.zeros(np.float32, width, height, **args)
    if width > 0 and height > 0:
        with pytest.raises(ValueError, match=message):
            ci.Channel(np.zeros((height, width), np.float32), width, height, **args)


def test_codec_of_wrong_type():
    with pytest.raises(TypeError, match="Codec"):
        ci.Channel.zeros(np.float32, W, H, compression_codec=3.5)


@pytest.mark.parametrize("dtype", ["int64", "uint64", "bool", "complex64", ">f4", ">u2", "U3"])
def test_unsupported_dtypes(dtype):
    with pytest.raises(ValueError, match="unsupported dtype"):
        ci.Channel.zeros(dtype, W, H)
    with pytest.raises(ValueError, match="unsupported dtype"):
        ci.Channel(np.zeros(W * H, dtype=dtype), W, H)
    with pytest.raises(ValueError, match="unsupported dtype"):
        ci.Image(dtype, [], W, H)


def test_not_a_dtype():
    with pytest.raises(ValueError, match="not a dtype"):
        ci.Channel.zeros("nonsense", W, H)


def test_chunk_indices_are_index_errors(channel):
    assert channel.num_chunks() == 4
    for bad in (4, 100, -5):
        with pytest.raises(IndexError, match="out of range"):
            channel.get_chunk(bad)
        with pytest.raises(IndexError):
            channel.get_chunk(bad, np.zeros(60, np.float32))
        with pytest.raises(IndexError):
            channel.set_chunk(bad, np.zeros(60, np.float32))
        with pytest.raises(IndexError):
            channel.chunk_elems(bad)
        with pytest.raises(IndexError):
            channel.chunk_size(bad)


def test_output_array_must_fit_exactly(channel):
    with pytest.raises(ValueError, match="chunk 3 holds 20 elements, the array has 60"):
        # The last chunk is shorter: a full-size buffer does not fit it.
        channel.get_chunk(3, np.zeros(60, np.float32))
    with pytest.raises(ValueError, match="holds 60 elements"):
        channel.get_chunk(0, np.zeros(61, np.float32))
    with pytest.raises(ValueError, match="dtype float64, the channel float32"):
        channel.get_chunk(0, np.zeros(60, np.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        channel.get_chunk(0, np.zeros(120, np.float32)[::2])
    read_only = np.zeros(60, np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        channel.get_chunk(0, read_only)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        channel.get_chunk(0, [0.0] * 60)


def test_set_chunk_checks_dtype_and_size(channel):
    before = channel.get_decompressed()
    with pytest.raises(ValueError, match="dtype float64, the channel float32"):
        channel.set_chunk(0, np.zeros(60, np.float64))
    with pytest.raises(ValueError, match="holds 60 elements"):
        channel.set_chunk(0, np.zeros(59, np.float32))
    with pytest.raises(ValueError, match="holds 20 elements"):
        channel.set_chunk(3, np.zeros(60, np.float32))
    with pytest.raises(ValueError, match="holds 60 elements"):
        channel.set_chunk(0, np.zeros((3, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"\(3 rows of 20\), the array has shape \(6, 10\)"):
        channel.set_chunk(0, np.zeros((6, 10), np.float32))
    with pytest.raises(ValueError, match="unsupported dtype"):
        channel.set_chunk(0, np.zeros(60, np.int64))
    # Failed writes leave the channel as it was.
    assert np.array_equal(channel.get_decompressed(), before)


def test_fill_values_must_fit():
    with pytest.raises(ValueError, match="out of range for uint8"):
        ci.Channel.full(np.uint8, 256, W, H)
    with pytest.raises(ValueError, match="out of range for int8"):
        ci.Channel.full(np.int8, -129, W, H)
    with pytest.raises(ValueError, match="out of range for uint32"):
        ci.Channel.full(np.uint32, -1, W, H)
    with pytest.raises(TypeError):
        ci.Channel.full(np.int16, 1.5, W, H)
    with pytest.raises(TypeError):
        ci.Channel.full(np.float32, "one", W, H)
    ch = ci.Channel.zeros(np.uint16, W, H)
    with pytest.raises(ValueError, match="out of range for uint16"):
        ci.Channel.full_like(ch, 70000)


def test_update_nthreads_checks_arguments(channel):
    with pytest.raises(ValueError, match="nthreads must not be negative"):
        channel.update_nthreads(-1)
    with pytest.raises(ValueError, match="block_size must not be negative"):
        channel.update_nthreads(2, block_size=-1)
    assert channel.nthreads() == 1


def test_too_large_layouts_are_value_errors():
    # One scanline of 2**31 bytes exceeds the 2 GiB a Blosc2 chunk can hold.
    with pytest.raises(ValueError, match="chunk"):
        ci.Channel.zeros(np.uint8, 2**31, 1)
    with pytest.raises(ValueError, match="overflow"):
        ci.Channel.zeros(np.float64, 2**62, 2**62)
