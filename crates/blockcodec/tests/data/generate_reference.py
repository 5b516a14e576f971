#!/usr/bin/env python3
"""Generate the golden Blosc/Blosc2 chunks used by `tests/reference.rs`.

Run from the repository root:

    tools/setup-venv.sh && .venv/bin/python crates/blockcodec/tests/data/generate_reference.py

Writes next to this script:
  reference/*.b2chunk + reference/manifest.json   chunks written by C-Blosc2 (python-blosc2
                                                  `compress2`, `SChunk.fill_special`) and by
                                                  C-Blosc 1.x (python-blosc `compress`)
  compat/*.cdata + compat/manifest.json           C-Blosc2's backward-compatibility fixtures,
                                                  copied from shared/data/blosc-compat/

Every manifest `sha256` is the SHA-256 of the bytes the C library decodes the chunk to (decoded
into a zero-filled buffer; the generator checks a 0xFF-filled one gives the same, so no output
byte is left unwritten by C except for UNINIT special chunks, which therefore hash as zeros).

Determinism: the case list, the data (seeded from each case's parameters) and C with one thread
are deterministic, so re-running reproduces every file byte for byte. The few `nthreads: 4` cases
are the exception: C writes their blocks in completion order, so their bytes may differ between
runs; an existing file for such a case is kept as long as it is still a valid C encoding of the
same parameters (same header, same decoded bytes), so re-running does not churn them either.
"""

import os

# Environment variables such as BLOSC_NTHREADS/BLOSC_CLEVEL override parameters inside C.
for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc  # noqa: E402
import blosc2  # noqa: E402
import numpy as np  # noqa: E402

PINS = {"blosc2": "4.14.1", "blosc": "1.11.4", "numpy": "2.4.6"}
C_BLOSC2_VERSION = "3.3.5"  # bundled in blosc2 4.14.1
C_BLOSC_VERSION = "1.21.7.dev"  # bundled in blosc 1.11.4

HERE = Path(__file__).resolve().parent
REF_DIR = HERE / "reference"
COMPAT_DIR = HERE / "compat"
REPO = HERE.parents[3]
SIZE_BUDGET = 3 * 1024 * 1024  # reference/ + compat/ together

CODEC_IDS = {"blosclz": 0, "lz4": 1, "lz4hc": 2, "zlib": 4, "zstd": 5}
FILTER_IDS = {"none": 0, "shuffle": 1, "bitshuffle": 2, "delta": 3, "trunc_prec": 4}
SPLITMODES = {
    "always": blosc2.SplitMode.ALWAYS_SPLIT,
    "never": blosc2.SplitMode.NEVER_SPLIT,
    "auto": blosc2.SplitMode.AUTO_SPLIT,
    "forward_compat": blosc2.SplitMode.FORWARD_COMPAT_SPLIT,
}
SPECIAL_NAMES = {0: None, 1: "zeros", 2: "nan", 3: "value", 4: "uninit"}
C1_SHUFFLES = {"none": blosc.NOSHUFFLE, "shuffle": blosc.SHUFFLE, "bitshuffle": blosc.BITSHUFFLE}

TYPESIZES = [1, 2, 3, 4, 7, 8, 12, 16]
SIZES = [0, 1, 31, 32, 33, 1000, 4097, 65536 + 13, 300000]


def check_versions():
    got = {"blosc2": blosc2.__version__, "blosc": blosc.__version__, "numpy": np.__version__}
    c2 = blosc2.VERSION_STRING
    c1 = blosc.VERSION_STRING
    if got != PINS or c2 != C_BLOSC2_VERSION or c1 != C_BLOSC_VERSION:
        sys.exit(
            f"generate_reference: wrong package versions {got} (C-Blosc2 {c2}, C-Blosc {c1}); "
            f"want {PINS} (C-Blosc2 {C_BLOSC2_VERSION}, C-Blosc {C_BLOSC_VERSION}). "
            "Run tools/setup-venv.sh and use .venv/bin/python."
        )


# ----------------------------------------------------------------------------------------------
# Test data. Integer arithmetic only (no sin/exp: NumPy's SIMD transcendentals may differ by an
# ulp between CPUs), so the bytes are identical on every machine.


def seed_of(params):
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def ramp(nbytes, typesize):
    """Element i = i as a little-endian integer of `typesize` bytes (zero-extended past 8)."""
    n = nbytes // typesize
    words = np.arange(n, dtype="<u8").view(np.uint8).reshape(n, 8)
    if typesize <= 8:
        elems = words[:, :typesize]
    else:
        elems = np.concatenate([words, np.zeros((n, typesize - 8), np.uint8)], axis=1)
    tail = (np.arange(n * typesize, nbytes) & 0xFF).astype(np.uint8)
    return elems.tobytes() + tail.tobytes()


def image_field(nelems, width=251):
    """Smooth 2-D field: a quadratic bowl plus a tilt; int64, 0 <= v < 2**20 for <= 10**6 samples.
    Rows repeat in groups of 3 (an upsampled image), which gives LZ codecs something to find."""
    idx = np.arange(nelems, dtype=np.int64)
    x, y = idx % width, idx // (3 * width)
    return ((x - 97) ** 2 + (y - 61) ** 2) // 4 + 8 * x + 5 * y


def make_data(kind, nbytes, typesize, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    if kind == "zeros":
        return bytes(nbytes)
    if kind == "constant":
        return b"\x5a" * nbytes
    if kind == "ramp":
        return ramp(nbytes, typesize)
    if kind == "random":
        return rng.bytes(nbytes)
    if kind == "sparse":  # ~2% non-zero bytes
        buf = np.zeros(nbytes, np.uint8)
        hits = rng.random(nbytes) < 0.02
        buf[hits] = rng.integers(1, 256, size=int(hits.sum()), dtype=np.uint8)
        return buf.tobytes()
    if kind.startswith("image_"):
        dtype = {"image_u8": "<u1", "image_u16": "<u2", "image_f32": "<f4", "image_f64": "<f8"}[kind]
        itemsize = np.dtype(dtype).itemsize
        nelems = -(-nbytes // itemsize)
        field = image_field(nelems)
        # +-2 output units of noise on ~1/32 of the samples.
        noise = rng.integers(-2, 3, size=nelems, dtype=np.int64) * (rng.random(nelems) < 1 / 32)
        if dtype == "<u1":
            arr = (((field >> 5) + noise) & 0xFF).astype(dtype)
        elif dtype == "<u2":
            arr = ((field + noise) & 0xFFFF).astype(dtype)
        else:  # full mantissas; int -> float conversion and division by 2**k are exact in IEEE
            arr = (field * 1237 + noise).astype(dtype) / np.asarray(1024.0, dtype)
        return arr.tobytes()[:nbytes]
    raise ValueError(kind)


# ----------------------------------------------------------------------------------------------
# Case list. Each case is a dict of the manifest's parameter fields.


def c2case(codec, clevel, typesize, nbytes, data, filters=("shuffle",), meta=None,
           split="forward_compat", blocksize=0, nthreads=1, align="end", use_dict=False):
    """C-Blosc2 case. `filters` are names applied in order; they occupy the LAST slots (the
    C-Blosc2 default layout, and what `cimg compress --filter` writes) unless align="start"
    (python-blosc2's own padding for a short list) or an explicit 6-slot list is given.
    use_dict: cparams use_dict=True (a trained dictionary section, blosc-format.md §2.5); the
    manifest then has "dict": true."""
    ids = [FILTER_IDS[f] for f in filters]
    meta = list(meta) if meta is not None else [0] * len(ids)
    if len(ids) < 6:
        pad = [0] * (6 - len(ids))
        ids, meta = (pad + ids, pad + meta) if align == "end" else (ids + pad, meta + pad)
    case = dict(library="c-blosc2", codec=codec, clevel=clevel, typesize=typesize, filters=ids,
                filters_meta=meta, splitmode=split, blocksize=blocksize, nthreads=nthreads,
                nbytes=nbytes, data=data, special=None)
    if use_dict:
        case["dict"] = True
    return case


def c1case(codec, clevel, typesize, nbytes, data, shuffle="shuffle", blocksize=0):
    ids = [0, 0, 0, 0, 0, FILTER_IDS[shuffle]]
    return dict(library="c-blosc", codec=codec, clevel=clevel, typesize=typesize, filters=ids,
                filters_meta=[0] * 6, splitmode=None, blocksize=blocksize, nthreads=1,
                nbytes=nbytes, data=data, special=None)


def special_case(special, typesize, nbytes, value=None):
    return dict(library="c-blosc2", codec="blosclz", clevel=5, typesize=typesize,
                filters=[0] * 6, filters_meta=[0] * 6, splitmode=None, blocksize=0, nthreads=1,
                nbytes=nbytes, data="special", special=special, value=value)


def delta_word(typesize):
    return typesize if typesize in (1, 2, 4, 8) else (8 if typesize % 8 == 0 else 1)


def round_for(filters, nbytes, typesize):
    """C2 leaves the last nbytes % w bytes of DELTA/TRUNC_PREC blocks unwritten (blosc-format.md
    §4.3), so the encoder would read scratch garbage: keep those sizes aligned."""
    if "delta" in filters or "trunc_prec" in filters:
        return nbytes - nbytes % (typesize if "trunc_prec" in filters else delta_word(typesize))
    return nbytes


def build_cases():
    cases = []
    add = cases.append
    codecs = list(CODEC_IDS)
    kinds_cycle = ["ramp", "image_u8", "sparse", "random", "image_u16", "constant"]

    # A. every codec x clevel 0/1/5/9 on two smooth data sets (leftover block of 13 bytes).
    for codec in codecs:
        for clevel in (0, 1, 5, 9):
            n = 65536 + 13 if clevel else 5003  # clevel 0 = memcpyed: keep it small
            add(c2case(codec, clevel, 4, n, "ramp"))
            add(c2case(codec, clevel, 2, min(n, 20011), "image_u16", split="auto"))

    # B. single filters x all typesizes, BloscLZ and LZ4, sizes chosen to leave odd tails.
    sizes_b = [1000, 4097, 33, 20011, 31, 4097, 1000, 32]
    i = 0
    for filt in ("none", "shuffle", "bitshuffle", "delta"):
        for ts in TYPESIZES:
            for codec in ("blosclz", "lz4"):
                n = round_for((filt,), sizes_b[i % len(sizes_b)], ts)
                kind = kinds_cycle[i % 4]
                kind = "image_u8" if kind == "random" and n > 4097 else kind  # size budget
                add(c2case(codec, 5, ts, n, kind, filters=(filt,)))
                i += 1

    # C. split modes x codecs (typesize 4 shuffle: split-eligible; typesize 8 bitshuffle:
    #    auto never splits, always does); Zstd splits under auto only for clevel <= 5.
    for split in SPLITMODES:
        for codec in codecs:
            add(c2case(codec, 5, 4, 40000, "image_f32", split=split))
            add(c2case(codec, 5, 8, 40000 + 5, "ramp", filters=("bitshuffle",), split=split))
    for split in ("auto", "forward_compat"):
        for clevel in (1, 9):
            add(c2case("zstd", clevel, 4, 40000, "image_f32", split=split))

    # D. buffer sizes: empty, memcpyed (< 32), just over, leftover blocks, multi-block.
    setups = [("blosclz", 5, 1, ("none",)), ("blosclz", 9, 4, ("shuffle",)),
              ("lz4", 5, 8, ("shuffle",)), (None, 5, 2, ("bitshuffle",))]
    for j, n in enumerate(SIZES):
        for k, (codec, clevel, ts, filt) in enumerate(setups):
            codec = codec or ["lz4hc", "zlib", "zstd"][j % 3]
            kind = "random" if (n <= 4097 and k == 0) else ["ramp", "image_u8", "sparse"][(j + k) % 3]
            kind = "ramp" if kind == "image_u8" and n > 65536 else kind  # size budget
            add(c2case(codec, clevel, ts, n, kind, filters=filt, split=["auto", "forward_compat"][k % 2]))

    # E. explicit blocksizes (multiples of typesize: C writes an undecodable chunk otherwise,
    #    blosc-format.md §5.4 Q2) including tiny blocks.
    filt_cycle = [("shuffle",), ("bitshuffle",), ("none",), ("delta",)]
    split_cycle = ["always", "never", "auto"]
    i = 0
    for ts in TYPESIZES:
        sizes = (1024, 4096, 10000) if ts in (1, 2, 4, 8, 16) else (1008, 4032, 10080)
        for bs, n in zip(sizes, (4097, 30000 + 7, 65536 + 13)):  # nbytes > blocksize
            filt = filt_cycle[i % 4]
            n = round_for(filt, n, ts)
            kind = "sparse" if kinds_cycle[i % 6] == "random" and n > 4097 else kinds_cycle[i % 6]
            add(c2case(codecs[i % 5], 5, ts, n, kind, filters=filt,
                       split=split_cycle[i % 3], blocksize=bs))
            i += 1
    for bs, ts, codec, split in [(32, 4, "blosclz", "always"), (64, 8, "lz4", "always"),
                                 (128, 1, "blosclz", "never"), (256, 16, "blosclz", "always"),
                                 (48, 3, "lz4", "auto"), (112, 7, "blosclz", "always"),
                                 (96, 12, "zstd", "never"), (64, 2, "lz4hc", "auto")]:
        add(c2case(codec, 5, ts, 5000 - 5000 % ts + 1, "image_u8", split=split, blocksize=bs))

    # F. trunc-prec on float32/float64 (positive = bits kept, negative = bits zeroed).
    for j, (kind, ts, prec) in enumerate([("image_f32", 4, 10), ("image_f32", 4, 20),
                                          ("image_f32", 4, -5), ("image_f64", 8, 20),
                                          ("image_f64", 8, 40), ("image_f64", 8, -10)]):
        for k, pipeline in enumerate([("trunc_prec",), ("trunc_prec", "shuffle")]):
            codec = ["blosclz", "lz4", "zstd"][(j + k) % 3]
            add(c2case(codec, 5, ts, 40000, kind, filters=pipeline, meta=[prec] + [0] * (len(pipeline) - 1)))

    # G. two-filter pipelines; several blocks so DELTA's block-0 reference matters.
    pipelines = [("delta", "shuffle"), ("shuffle", "delta"), ("delta", "bitshuffle"), ("bitshuffle", "delta")]
    i = 0
    for pipe in pipelines:
        for ts in (2, 4, 8):
            codec = ["blosclz", "lz4", "zstd", "lz4hc"][i % 4]
            bs = [4096, 16384, 0][i % 3]
            n = 300000 if bs == 0 else 32768
            kind = ["image_u16", "ramp", "image_f32"][i % 3] if bs else "ramp"  # size budget
            add(c2case(codec, 5, ts, n, kind, filters=pipe, blocksize=bs, split=["auto", "always"][i % 2]))
            i += 1

    # H. every data kind through BloscLZ and LZ4.
    for kind, ts in [("zeros", 4), ("constant", 1), ("ramp", 8), ("random", 1), ("image_u8", 1),
                     ("image_u16", 2), ("image_f32", 4), ("sparse", 4)]:
        for codec in ("blosclz", "lz4"):
            n = 5003 if kind == "random" else 50000
            add(c2case(codec, 5, ts, n, kind, split="auto"))

    # I. BloscLZ clevel 0..9 (hash bits and entropy thresholds change per level) for the
    #    byte-identical re-encoding tests.
    for clevel in range(10):
        add(c2case("blosclz", clevel, 1, 65536 + 13 if clevel in (1, 5, 9) else 16411, "image_u8",
                   filters=("none",)))
        add(c2case("blosclz", clevel, 4, 65536 + 13 if clevel else 4097, "sparse"))
        add(c2case("blosclz", clevel, 8, 4097, "ramp", filters=("bitshuffle",), split="auto"))
        big = clevel in (1, 9)
        add(c2case("blosclz", clevel, 2, 300000 if big else 30000 if clevel else 3000, "ramp" if big else "image_u16",
                   filters=("delta", "shuffle"), split="always"))
    add(c2case("blosclz", 5, 1, 5003, "random", filters=("none",)))  # incompressible => memcpy

    # J. multi-threaded C (blocks written in completion order; bytes may vary run to run).
    for j, codec in enumerate(codecs + ["blosclz", "blosclz", "lz4"]):
        bs = [4096, 16384][j % 2]
        add(c2case(codec, 5, [4, 2, 8, 1][j % 4], 100000, ["sparse", "ramp"][j % 2],
                   blocksize=bs, nthreads=4, split=["auto", "always", "never"][j % 3]))

    # K. filter slot layouts: python-blosc2's front padding, a gap, SHUFFLE with an explicit
    #    element size in filters_meta, and a filter applied twice.
    add(c2case("blosclz", 5, 4, 10000, "image_f32", align="start"))
    add(c2case("lz4", 5, 2, 10000, "image_u16", filters=("delta", "shuffle"), align="start"))
    ts4 = c2case("blosclz", 5, 4, 10000, "image_f32")
    ts4["filters"] = [0, 0, 1, 0, 0, 0]
    add(ts4)
    add(c2case("blosclz", 5, 8, 10000, "image_f32", meta=[4]))  # shuffle f32 pairs as 4-byte elements
    add(c2case("lz4", 5, 8, 10000, "ramp", filters=("shuffle", "shuffle")))
    add(c2case("blosclz", 5, 4, 10000, "sparse", filters=("shuffle", "bitshuffle"), split="always"))

    # M. special-value chunks (SChunk.fill_special; the 32-byte header is the whole chunk).
    add(special_case("zeros", 1, 1000))
    add(special_case("zeros", 4, 4096))
    add(special_case("zeros", 8, 1 << 24))  # 16 MiB from 32 bytes
    add(special_case("nan", 4, 4000))
    add(special_case("nan", 8, 80000))
    add(special_case("uninit", 1, 777))
    add(special_case("uninit", 8, 8192))
    add(special_case("value", 1, 1000, 7))
    add(special_case("value", 2, 2000, 300))
    add(special_case("value", 4, 4000, 1.5))
    add(special_case("value", 8, 8000, 3.141592653589793))
    add(special_case("value", 16, 1600, 1 + 2j))

    # N. C-Blosc 1.x chunks (16-byte header, version 2).
    for j, codec in enumerate(codecs):
        for k, shuf in enumerate(C1_SHUFFLES):
            add(c1case(codec, 5, 4, [20011, 65536 + 13][j % 2], ["image_f32", "sparse"][j % 2], shuffle=shuf))
            ts = [3, 7, 8][(j + k) % 3]  # bitshuffle with element counts not multiple of 8
            add(c1case(codec, [1, 9][k % 2], ts, [4097, 1000, 30001][(j + k) % 3], "ramp", shuffle=shuf))
    for n in (0, 1, 127, 128, 300000):
        add(c1case("blosclz", 9, 4, n, "sparse" if n > 128 else "random"))
    for bs, codec, shuf in [(128, "blosclz", "shuffle"), (4096, "lz4", "bitshuffle"),
                            (1000, "blosclz", "shuffle"), (16384, "zstd", "none")]:
        add(c1case(codec, 5, 4, 65536 + 13, "ramp", shuffle=shuf, blocksize=bs))
    add(c1case("lz4", 0, 4, 1000, "ramp"))

    # O. dictionary chunks (use_dict): Zstd (ZDICT-trained dictionary, CDict at level 1 whatever
    #    the clevel) and LZ4/LZ4HC (the first bytes of the filtered data as the window), split and
    #    unsplit, several blocks each.
    for codec, clevel, ts, n, kind, filt, split, bs in [
            ("zstd", 1, 4, 40000, "image_f32", ("shuffle",), "forward_compat", 8192),
            ("zstd", 5, 4, 40000, "image_f32", ("shuffle",), "always", 8192),
            ("zstd", 9, 4, 40000, "image_f32", ("shuffle",), "forward_compat", 8192),
            ("zstd", 5, 2, 20000, "image_u16", ("shuffle",), "never", 4096),
            ("zstd", 3, 8, 30000, "ramp", ("bitshuffle",), "auto", 0),
            ("lz4", 5, 4, 40000, "image_f32", ("shuffle",), "forward_compat", 8192),
            ("lz4", 1, 8, 30000, "ramp", ("bitshuffle",), "never", 4096),
            ("lz4hc", 5, 2, 20000, "image_u16", ("shuffle",), "auto", 4096)]:
        add(c2case(codec, clevel, ts, n, kind, filters=filt, split=split, blocksize=bs,
                   use_dict=True))

    # Deduplicate (groups overlap), keeping first occurrence.
    seen, out = set(), []
    for c in cases:
        key = json.dumps(c, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


# ----------------------------------------------------------------------------------------------
# Running C.


def decode2(chunk, nbytes, fill):
    if nbytes == 0:
        return blosc2.decompress2(chunk, nthreads=1)
    dst = bytearray([fill]) * nbytes
    blosc2.decompress2(chunk, dst=dst, nthreads=1)
    return bytes(dst)


def decode1(chunk, nbytes):
    """C-Blosc 1.x decode; checks that every output byte is written (0x00 vs 0xFF prefill)."""
    if nbytes == 0:
        return blosc.decompress(chunk)
    outs = []
    for fill in (0, 0xFF):
        dst = np.full(nbytes, fill, np.uint8)
        blosc.decompress_ptr(chunk, dst.__array_interface__["data"][0])
        outs.append(dst.tobytes())
    if outs[0] != outs[1]:
        raise RuntimeError("C-Blosc left output bytes unwritten")
    return outs[0]


def compress2(data, c):
    return blosc2.compress2(
        data, codec=blosc2.Codec(CODEC_IDS[c["codec"]]), clevel=c["clevel"],
        typesize=c["typesize"], nthreads=c["nthreads"], blocksize=c["blocksize"],
        splitmode=SPLITMODES[c["splitmode"]], filters=c["filters"], filters_meta=c["filters_meta"],
        use_dict=c.get("dict", False))


def trunc_prec_expected(data, c):
    """Independent model of TRUNC_PREC (blosc-format.md §4.4) to cross-check C's output."""
    ts, prec = c["typesize"], c["filters_meta"][c["filters"].index(4)]
    mant = 23 if ts == 4 else 52
    zeroed = mant - prec if prec >= 0 else -prec
    arr = np.frombuffer(data, dtype="<u4" if ts == 4 else "<u8").copy()
    arr &= ~np.array((1 << zeroed) - 1, dtype=arr.dtype)
    return arr.tobytes()


def run_c2(c, data, old):
    chunk = compress2(data, c)
    if c.get("dict") and not (len(chunk) >= 32 and chunk[31] & 0x01 and not chunk[2] & 0x02):
        raise RuntimeError(f"C-Blosc2 wrote no dictionary section: {c}")
    try:
        dec = decode2(chunk, len(data), 0)
    except ValueError:
        return None, "C-Blosc2 cannot decode its own chunk"
    if dec != decode2(chunk, len(data), 0xFF):
        return None, "C-Blosc2 leaves some output bytes unwritten"
    # TRUNC_PREC is lossy, except that a memcpyed chunk (incl. the fallback after compression
    # failed) stores the raw, unfiltered input.
    lossy = 4 in c["filters"] and len(chunk) >= 32 and not chunk[2] & 0x02
    want = trunc_prec_expected(data, c) if lossy else data
    if dec != want:
        return None, "C-Blosc2 does not decode its own chunk to the input"
    if c["nthreads"] == 1:
        if compress2(data, c) != chunk:
            raise RuntimeError(f"C-Blosc2 output not deterministic: {c}")
        c["reencode"] = c["codec"] == "blosclz"
        if c["reencode"] and compress2(dec, c) != chunk:
            raise RuntimeError(f"re-encoding the decoded bytes changes the chunk: {c}")
    else:
        c["reencode"] = False
        # Keep the previous run's bytes if they are an equally valid encoding (block order only).
        if old is not None and len(old) == len(chunk) and old[:32] == chunk[:32] \
                and decode2(old, len(data), 0) == dec:
            chunk = old
    c["special"] = SPECIAL_NAMES[chunk[31] >> 4 & 7] if len(chunk) >= 32 else None
    # python-blosc2's compress2 allocates len(src) + BLOSC2_MAX_OVERHEAD and uses a fresh
    # context per call (so no sticky blocksize, blosc-format.md §5.4 Q1).
    c["destsize"] = len(data) + 32
    return (chunk, dec), None


def run_special(c):
    sv = {"zeros": blosc2.SpecialValue.ZERO, "nan": blosc2.SpecialValue.NAN,
          "uninit": blosc2.SpecialValue.UNINIT, "value": blosc2.SpecialValue.VALUE}[c["special"]]
    ts, n = c["typesize"], c["nbytes"]
    schunk = blosc2.SChunk(chunksize=n, cparams=dict(codec=blosc2.Codec.BLOSCLZ, clevel=5, typesize=ts, nthreads=1))
    schunk.fill_special(n // ts, sv, c.pop("value"))
    chunk = schunk.get_chunk(0)
    assert schunk.nchunks == 1 and chunk[31] >> 4 == sv.value, (c, chunk.hex())
    dec = decode2(chunk, n, 0)
    if c["special"] != "uninit" and dec != decode2(chunk, n, 0xFF):
        raise RuntimeError(f"special chunk decodes nondeterministically: {c}")
    c["reencode"] = False
    # C builds these in a buffer of exactly the chunk's size: 32, or 32 + typesize for VALUE.
    c["destsize"] = len(chunk)
    return chunk, dec


def run_c1(c, data):
    blosc.set_blocksize(c["blocksize"])  # global state in C-Blosc 1.x; 0 = automatic
    try:
        shuffle = {0: blosc.NOSHUFFLE, 1: blosc.SHUFFLE, 2: blosc.BITSHUFFLE}[c["filters"][5]]
        chunk = blosc.compress(data, typesize=c["typesize"], clevel=c["clevel"], shuffle=shuffle, cname=c["codec"])
        if blosc.compress(data, typesize=c["typesize"], clevel=c["clevel"], shuffle=shuffle, cname=c["codec"]) != chunk:
            raise RuntimeError(f"C-Blosc output not deterministic: {c}")
    finally:
        blosc.set_blocksize(0)
    dec = decode1(chunk, len(data))
    if dec != data:
        raise RuntimeError(f"C-Blosc does not decode its own chunk to the input: {c}")
    c["reencode"] = False
    c["destsize"] = len(data) + 16  # C-Blosc clamps destsize to nbytes + BLOSC_MAX_OVERHEAD
    # C-Blosc2 mis-decodes some version-2 bitshuffle tails (blosc-format.md §4.2): record it.
    dec2 = decode2(chunk, len(data), 0)
    if dec2 != dec:
        c["c_blosc2_sha256"] = hashlib.sha256(dec2).hexdigest()
    return chunk, dec


def file_name(i, c):
    if c["special"] and c["data"] == "special":
        return f"{i:03d}-c2-special-{c['special']}-t{c['typesize']}-n{c['nbytes']}.b2chunk"
    fnames = "+".join(k for f in c["filters"] if f for k, v in FILTER_IDS.items() if v == f) or "none"
    lib = "c2" if c["library"] == "c-blosc2" else "c1"
    split = {"always": "-always", "never": "-never", "auto": "-auto", "forward_compat": "-fwd", None: ""}[c["splitmode"]]
    bs = f"-b{c['blocksize']}" if c["blocksize"] else ""
    mt = f"-mt{c['nthreads']}" if c["nthreads"] > 1 else ""
    dict_ = "-dict" if c.get("dict") else ""
    return (f"{i:03d}-{lib}-{c['codec']}-c{c['clevel']}-t{c['typesize']}-{fnames}{split}{bs}{mt}"
            f"{dict_}-n{c['nbytes']}-{c['data']}.b2chunk")


FIELDS = ["file", "library", "library_version", "codec", "clevel", "typesize", "filters",
          "filters_meta", "splitmode", "blocksize", "nthreads", "nbytes", "data", "sha256",
          "special", "reencode", "destsize"]


def write_manifest(path, top, key, entries):
    """Pretty enough for review, one vector per line for small diffs."""
    head = json.dumps(top, indent=2)[:-2]
    body = ",\n".join("    " + json.dumps(e) for e in entries)
    path.write_text(f'{head},\n  "{key}": [\n{body}\n  ]\n}}\n')


def generate_reference():
    cases = build_cases()
    REF_DIR.mkdir(parents=True, exist_ok=True)
    # Remember the old multi-threaded chunks (see run_c2), then start clean.
    old_mt = {}
    old_manifest = REF_DIR / "manifest.json"
    if old_manifest.exists():
        for e in json.loads(old_manifest.read_text())["vectors"]:
            if e["nthreads"] > 1 and (REF_DIR / e["file"]).exists():
                params = {k: e[k] for k in ("codec", "clevel", "typesize", "filters", "filters_meta",
                                             "splitmode", "blocksize", "nthreads", "nbytes", "data")}
                old_mt[json.dumps(params, sort_keys=True)] = (REF_DIR / e["file"]).read_bytes()
    for f in REF_DIR.glob("*.b2chunk"):
        f.unlink()

    vectors, skipped, total = [], [], 0
    blosc.set_nthreads(1)
    for c in cases:
        params = {k: c[k] for k in ("codec", "clevel", "typesize", "filters", "filters_meta",
                                     "splitmode", "blocksize", "nthreads", "nbytes", "data")}
        if c["library"] == "c-blosc":
            chunk, dec = run_c1(c, make_data(c["data"], c["nbytes"], c["typesize"], seed_of(params)))
        elif c["data"] == "special":
            chunk, dec = run_special(c)
        else:
            data = make_data(c["data"], c["nbytes"], c["typesize"], seed_of(params))
            res, why = run_c2(c, data, old_mt.get(json.dumps(params, sort_keys=True)))
            if res is None:
                skipped.append({**params, "reason": why})
                continue
            chunk, dec = res
        c["library_version"] = C_BLOSC2_VERSION if c["library"] == "c-blosc2" else C_BLOSC_VERSION
        c["sha256"] = hashlib.sha256(dec).hexdigest()
        c["file"] = file_name(len(vectors), c)
        (REF_DIR / c["file"]).write_bytes(chunk)
        total += len(chunk)
        extra = {k: v for k, v in c.items() if k not in FIELDS}
        vectors.append({**{k: c[k] for k in FIELDS}, **extra})

    top = {
        "generator": "crates/blockcodec/tests/data/generate_reference.py",
        "blosc2_version": blosc2.__version__,
        "c_blosc2_version": blosc2.VERSION_STRING,
        "blosc_version": blosc.__version__,
        "c_blosc_version": blosc.VERSION_STRING,
        "numpy_version": np.__version__,
        "notes": [
            "sha256: SHA-256 of the bytes the C library decodes the chunk to, decoded into a "
            "zero-filled buffer (UNINIT special chunks therefore hash as zeros).",
            "filters/filters_meta: the 6 pipeline slots as given to C (slot 0 applied first); "
            "TRUNC_PREC meta is the signed precision (stored in the header as its i8 byte).",
            "blocksize: requested blocksize, 0 = automatic. destsize: destination size C was "
            "given (python-blosc2 compress2 uses nbytes + 32, a fresh context per call).",
            "reencode: C-Blosc2, nthreads 1, BloscLZ: compressing the decoded bytes with the "
            "same parameters and destsize reproduces the chunk byte for byte (checked).",
            "special: special-value type found in the chunk header (also set for all-zero "
            "input that C-Blosc2 rewrote as a zeros chunk).",
            "nthreads > 1: block order depends on thread scheduling; only the decoded bytes "
            "(and the header) are reproducible.",
            "c_blosc2_sha256 (C-Blosc chunks only, when present): what C-Blosc2 decodes the "
            "chunk to when that differs from C-Blosc 1.x (version-2 bitshuffle tails).",
            "dict (when present): compressed with use_dict=True; the chunk carries a dictionary "
            "section (blosc2_flags bit 0, blosc-format.md §2.5).",
        ],
    }
    # Parameter sets deliberately left out because C-Blosc2 cannot round-trip them.
    top["skipped"] = skipped
    write_manifest(REF_DIR / "manifest.json", top, "vectors", vectors)
    for sk in skipped:
        print(f"reference: skipped {json.dumps(sk)}")
    by_lib = {}
    for v in vectors:
        by_lib[v["library"]] = by_lib.get(v["library"], 0) + 1
    print(f"reference: {len(vectors)} vectors {by_lib}, {total} bytes of chunks -> {REF_DIR}")


# ----------------------------------------------------------------------------------------------
# C-Blosc2 backward-compatibility fixtures (shared/data/blosc-compat, see its README).


def described_content(nbytes):
    """Content the fixtures are documented to hold: int32 0..999999 LE, or for the bitshuffle
    fixtures int32 0..nbytes/4-1 followed by (i & 0xFF) tail bytes."""
    n = nbytes // 4
    tail = (np.arange(n * 4, nbytes) & 0xFF).astype(np.uint8).tobytes()
    return np.arange(n, dtype="<i4").tobytes() + tail


def generate_compat(src):
    COMPAT_DIR.mkdir(parents=True, exist_ok=True)
    for f in COMPAT_DIR.glob("*.cdata"):
        f.unlink()
    shutil.copyfile(src / "LICENSE.txt", COMPAT_DIR / "LICENSE.txt")
    entries, total = [], 0
    for path in sorted(src.glob("*.cdata")):
        raw = path.read_bytes()
        # shuffle-/bitshuffle-2.20.0 are 4 MB raw shuffle outputs, not chunks.
        if len(raw) > 200_000 or not path.name.startswith("blosc-"):
            continue
        version, typesize = raw[0], raw[3]
        nbytes = int.from_bytes(raw[4:8], "little")
        codec = next(k for k in ("lz4hc", "blosclz", "lz4", "zlib", "zstd") if f"-{k}" in path.name)
        c1 = decode1(raw, nbytes) if version == 2 else None  # C-Blosc 1.x reads only version 2
        c2 = decode2(raw, nbytes, 0)
        unwritten = sum(a != b for a, b in zip(c2, decode2(raw, nbytes, 0xFF)))
        described = described_content(nbytes)
        correct = c1 if c1 is not None else c2  # C-Blosc 1.x is right where the two differ
        sha = lambda b: hashlib.sha256(b).hexdigest() if b is not None else None  # noqa: E731
        note = []
        if c1 is not None and c1 != c2:
            note.append("C-Blosc2 mis-decodes the version-2 bitshuffle tail (blosc-format.md §4.2)")
        if unwritten:
            note.append(f"C-Blosc2 leaves {unwritten} output byte(s) unwritten")
        if correct != described:
            diff = [i for i in range(nbytes) if correct[i] != described[i]]
            note.append(f"stored data differs from the documented content in {len(diff)} byte(s) "
                        f"at {diff[0]}..{diff[-1]} (C-Blosc 1.17 encoder bug)")
        shutil.copyfile(path, COMPAT_DIR / path.name)
        total += len(raw)
        entries.append({
            "file": path.name, "version": version, "codec": codec, "typesize": typesize,
            "nbytes": nbytes, "sha256": sha(correct), "sha256_c_blosc": sha(c1),
            "sha256_c_blosc2": sha(c2), "sha256_documented": sha(described),
            "note": "; ".join(note) or None,
        })
    top = {
        "generator": "crates/blockcodec/tests/data/generate_reference.py",
        "source": "Blosc/c-blosc2 compat/ @ b17d0c3 (via shared/data/blosc-compat); license in LICENSE.txt",
        "c_blosc2_version": blosc2.VERSION_STRING,
        "c_blosc_version": blosc.VERSION_STRING,
        "notes": [
            "sha256: the correct decode = C-Blosc 1.x's for version-2 chunks, C-Blosc2's for "
            "newer ones (C-Blosc 1.x cannot read them).",
            "sha256_c_blosc / sha256_c_blosc2: each library's decode (C-Blosc2 into a "
            "zero-filled buffer; null = cannot read). sha256_documented: the content described "
            "by the fixtures' README (int32 0..999999 LE; bitshuffle fixtures int32 0..n/4-1 "
            "plus (i & 0xFF) tail bytes).",
        ],
    }
    write_manifest(COMPAT_DIR / "manifest.json", top, "fixtures", entries)
    print(f"compat: {len(entries)} fixtures, {total} bytes -> {COMPAT_DIR}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compat-src", type=Path,
                    default=Path(os.environ.get("BLOCKCODEC_COMPAT_SRC", REPO.parent / "shared/data/blosc-compat")),
                    help="folder with the C-Blosc2 compat fixtures (default: ../shared/data/blosc-compat)")
    args = ap.parse_args()
    check_versions()
    generate_reference()
    if (args.compat_src / "LICENSE.txt").exists():
        generate_compat(args.compat_src)
    else:
        print(f"compat: {args.compat_src} not found; compat/ left as it is")
    total = sum(f.stat().st_size for d in (REF_DIR, COMPAT_DIR) if d.exists() for f in d.iterdir())
    print(f"total: {total} bytes in reference/ and compat/ (budget {SIZE_BUDGET})")
    if total > SIZE_BUDGET:
        sys.exit("generate_reference: over the size budget")


if __name__ == "__main__":
    main()
