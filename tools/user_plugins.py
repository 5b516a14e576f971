"""The example user codec and filter for python-blosc2, byte-compatible with the Rust versions
in crates/blockcodec/examples/common/plugins.rs (see there for the formats).

Used by crates/blockcodec/tests/data/generate_user_vectors.py and tools/user_interop.py:

    import user_plugins
    user_plugins.register()    # codec 160 "repeated-value", filter 160 "difference"

python-blosc2 calls these with uint8 NumPy views of C buffers, on one thread only, and only for
chunks inside an `SChunk` (its `general_encoder` etc. need `cparams.schunk`).
"""

import numpy as np

CODEC_ID = 160
FILTER_ID = 160


def _codec_width(meta):
    return max(int(meta), 1)


def rv_encode(inp, out, meta, schunk):
    """Repeated-value codec: (value, u32 LE count) records; 0 = not compressible."""
    w = _codec_width(meta)
    n = inp.size
    if n == 0 or n % w:
        return 0
    a = inp.reshape(-1, w)
    change = np.any(a[1:] != a[:-1], axis=1)
    starts = np.flatnonzero(np.concatenate(([True], change)))
    counts = np.diff(np.append(starts, len(a)))
    rec = w + 4
    size = len(starts) * rec
    if size > out.size:
        return 0
    recs = np.empty((len(starts), rec), np.uint8)
    recs[:, :w] = a[starts]
    recs[:, w:] = counts.astype("<u4").view(np.uint8).reshape(-1, 4)
    out[:size] = recs.ravel()
    return size


def rv_decode(inp, out, meta, schunk):
    w = _codec_width(meta)
    rec = w + 4
    if inp.size % rec:
        return -1
    r = inp.reshape(-1, rec)
    counts = r[:, w:].copy().view("<u4").ravel().astype(np.int64)
    if (counts == 0).any() or int(counts.sum()) * w != out.size:
        return -1
    out[:] = np.repeat(r[:, :w], counts, axis=0).ravel()
    return out.size


def _filter_dtype(meta, schunk):
    w = int(meta) if meta else int(schunk.typesize)
    return w if w in (1, 2, 4, 8) else 1


def diff_forward(inp, out, meta, schunk):
    """Neighbour differences of little-endian unsigned elements (wrapping); tail copied."""
    w = _filter_dtype(meta, schunk)
    whole = inp.size // w * w
    x = inp[:whole].view(f"<u{w}")
    y = out[:whole].view(f"<u{w}")
    if x.size:
        y[0] = x[0]
        np.subtract(x[1:], x[:-1], out=y[1:])
    out[whole:] = inp[whole:]


def diff_backward(inp, out, meta, schunk):
    w = _filter_dtype(meta, schunk)
    whole = inp.size // w * w
    x = inp[:whole].view(f"<u{w}")
    y = out[:whole].view(f"<u{w}")
    np.cumsum(x, dtype=x.dtype, out=y)
    out[whole:] = inp[whole:]


def register():
    """Registers both plugins in python-blosc2 (once per process)."""
    import blosc2

    if CODEC_ID not in blosc2.ucodecs_registry:
        blosc2.register_codec("repeated-value", CODEC_ID, rv_encode, rv_decode)
    if FILTER_ID not in blosc2.ufilters_registry:
        blosc2.register_filter(FILTER_ID, diff_forward, diff_backward, "difference")
