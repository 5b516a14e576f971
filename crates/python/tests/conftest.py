"""Shared fixtures: the nine dtypes and deterministic, partly compressible sample data."""

import numpy as np
import pytest

import compressed_image as ci

DTYPES = [
    np.float16,
    np.float32,
    np.float64,
    np.uint8,
    np.int8,
    np.uint16,
    np.int16,
    np.uint32,
    np.int32,
]

CODECS = [ci.Codec.blosclz, ci.Codec.lz4, ci.Codec.lz4hc, ci.Codec.zstd, ci.Codec.zlib]


def sample(dtype, height, width, seed=0):
    """A (height, width) array: a gradient plus noise, so it compresses but not to nothing."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (x + 3 * y) % 200
    noise = rng.integers(0, 8, size=(height, width))
    values = base + noise
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (values / 7.0).astype(dtype)
    if dtype.kind == "i":
        return (values - 100).astype(dtype)
    return values.astype(dtype)


def same_bits(a, b):
    """Bitwise equality (NaN equals the same NaN, -0.0 differs from 0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return np.dtype(request.param)
