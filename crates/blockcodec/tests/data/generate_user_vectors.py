#!/usr/bin/env python3
"""Generate the golden chunks with a user codec and a user filter for `tests/user_plugins.rs`.

Run from the repository root:

    tools/setup-venv.sh && .venv/bin/python crates/blockcodec/tests/data/generate_user_vectors.py

python-blosc2 (pinned 4.14.1, C-Blosc2 3.3.5) registers the Python versions of the example
plugins from tools/user_plugins.py — codec 160 "repeated-value" and filter 160 "difference" —
and writes, one thread (python-blosc2 refuses more with Python plugins), into user/ next to
this script:
  <case>.b2chunk     one chunk per case, taken from a one-chunk SChunk (`get_chunk(0)`)
  frame-*.b2frame    a contiguous frame of several chunks (`SChunk.to_cframe()`)
  manifest.json      per file: the parameters and the SHA-256 of the bytes python-blosc2
                     decodes it to (decoded into a 0xFF-filled buffer: no byte left unwritten)

Everything is deterministic (seeded data, one thread), so re-running reproduces the files byte
for byte. The Rust test decodes every file with the Rust plugins and also re-compresses the data
with the same parameters, expecting python-blosc2's exact bytes.
"""

import os

# Environment variables such as BLOSC_NTHREADS/BLOSC_CLEVEL override parameters inside C.
for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc2  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "user"
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO / "tools"))
import user_plugins  # noqa: E402

PINS = {"blosc2": "4.14.1", "numpy": "2.4.6"}
SIZE_BUDGET = 400 * 1024
RV = user_plugins.CODEC_ID
DIFF = user_plugins.FILTER_ID
SPLITMODES = {"auto": blosc2.SplitMode.AUTO_SPLIT, "always": blosc2.SplitMode.ALWAYS_SPLIT}


def check_versions():
    got = {"blosc2": blosc2.__version__, "numpy": np.__version__}
    if got != PINS:
        sys.exit(f"generate_user_vectors: got {got}, want {PINS}; use tools/setup-venv.sh's venv")


def make_data(kind, dtype, nbytes, seed):
    """Deterministic test data of `nbytes` bytes (the last element may be partial)."""
    rng = np.random.default_rng(seed)
    itemsize = np.dtype(dtype).itemsize
    n = -(-nbytes // itemsize)
    if kind == "steps":  # long runs of one value: the codec alone compresses it
        a = (np.arange(n) // 97 * 3).astype(dtype)
    elif kind == "ramp":  # constant differences: filter + codec compress it
        a = (np.arange(n) * 5 + 11).astype(dtype)
    elif kind == "image":  # smooth rows with a little noise
        x = np.arange(n) % 257
        a = (x * 2 + (rng.integers(0, 2, n))).astype(dtype)
    elif kind == "random":  # incompressible: raw streams
        a = rng.integers(0, 256, n * itemsize, dtype=np.uint8).view(dtype)
    elif kind == "zeros":
        a = np.zeros(n, dtype)
    else:
        raise ValueError(kind)
    return a.view(np.uint8)[:nbytes].tobytes()


def cparams_of(case):
    filters = list(case["filters"])
    meta = list(case["filters_meta"])
    return blosc2.CParams(
        codec=case["codec"],
        codec_meta=case["codec_meta"],
        clevel=case["clevel"],
        typesize=case["typesize"],
        filters=filters,
        filters_meta=meta,
        splitmode=SPLITMODES[case["splitmode"]],
        blocksize=case["blocksize"],
        nthreads=1,
    )


def decoded_sha(sc, nchunk, nbytes):
    out = np.full(nbytes, 0xFF, np.uint8)
    sc.decompress_chunk(nchunk, out)
    return out.tobytes()


def slots(*pairs):
    """Six (filter, meta) slots from the given ones, in slot order."""
    f = [0] * 6
    m = [0] * 6
    for i, (fid, meta) in enumerate(pairs):
        f[i], m[i] = fid, meta
    return f, m


def cases():
    lz4 = blosc2.Codec.LZ4.value
    shuffle = blosc2.Filter.SHUFFLE.value
    specs = [
        # name, dtype, nbytes, kind, codec, codec_meta, clevel, filters, splitmode, blocksize
        ("rv-u8-steps", "u1", 40_000, "steps", RV, 0, 5, slots(), "auto", 0),
        ("rv-u16-steps-meta2", "<u2", 50_001, "steps", RV, 2, 5, slots(), "auto", 0),
        ("rv-f32-steps-meta4", "<f4", 300_000, "steps", RV, 4, 5, slots(), "auto", 0),
        ("rv-u64-random-meta8", "<u8", 70_000, "random", RV, 8, 5, slots(), "auto", 0),
        ("rv-u8-tiny", "u1", 20, "steps", RV, 0, 5, slots(), "auto", 0),
        ("rv-u32-zeros", "<u4", 65_536, "zeros", RV, 4, 5, slots(), "auto", 0),
        ("rv-u32-clevel0", "<u4", 10_000, "steps", RV, 4, 0, slots(), "auto", 0),
        ("rvdiff-u16-ramp", "<u2", 100_000, "ramp", RV, 2, 5, slots((DIFF, 0)), "auto", 0),
        ("rvdiff-u32-ramp", "<u4", 400_000, "ramp", RV, 4, 9, slots((DIFF, 0)), "auto", 0),
        ("rvdiff-u64-ramp-bs", "<u8", 80_000, "ramp", RV, 8, 5, slots((DIFF, 0)), "auto", 8_192),
        ("rvdiff-u8-image", "u1", 33_333, "image", RV, 0, 5, slots((DIFF, 1)), "auto", 0),
        ("rvdiff-ts3-ramp", "u1", 30_000, "ramp", RV, 0, 5, slots((DIFF, 0)), "auto", 0),
        ("rv-split-u32-ramp", "<u4", 60_000, "ramp", RV, 0, 5, slots((shuffle, 0)), "always", 0),
        ("rvdiff-shuffle-u32", "<u4", 120_000, "ramp", RV, 1, 5,
         slots((DIFF, 0), (shuffle, 0)), "auto", 16_384),
        ("lz4-diff-u16-image", "<u2", 90_000, "image", lz4, 0, 5, slots((DIFF, 0)), "auto", 0),
        ("lz4-diff-shuffle-f64", "<f8", 64_000, "ramp", lz4, 0, 5,
         slots((shuffle, 0), (DIFF, 8)), "auto", 0),
    ]
    for seed, (name, dtype, nbytes, kind, codec, cmeta, clevel, (f, m), split, bs) in enumerate(
        specs
    ):
        # A 3-byte typesize where the name says so; otherwise the dtype's item size.
        typesize = 3 if "ts3" in name else np.dtype(dtype).itemsize
        yield {
            "name": name,
            "kind": kind,
            "dtype": dtype,
            "nbytes": nbytes,
            "seed": seed,
            "codec": codec,
            "codec_meta": cmeta,
            "clevel": clevel,
            "typesize": typesize,
            "filters": f,
            "filters_meta": m,
            "splitmode": split,
            "blocksize": bs,
        }


def main():
    check_versions()
    user_plugins.register()
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        if old.suffix in (".b2chunk", ".b2frame"):
            old.unlink()
    entries = []
    total = 0
    for case in cases():
        data = make_data(case["kind"], case["dtype"], case["nbytes"], case["seed"])
        sc = blosc2.SChunk(
            chunksize=len(data), cparams=cparams_of(case), dparams=blosc2.DParams(nthreads=1)
        )
        sc.append_data(data)
        chunk = sc.get_chunk(0)
        back = decoded_sha(sc, 0, len(data))
        if back != data:
            sys.exit(f"{case['name']}: python-blosc2 does not round-trip")
        path = OUT / f"{case['name']}.b2chunk"
        path.write_bytes(chunk)
        total += len(chunk)
        entries.append(
            {**case, "file": path.name, "cbytes": len(chunk),
             "sha256": hashlib.sha256(back).hexdigest()}
        )

    # A frame of several chunks (the last one short) with codec and filter.
    case = {
        "name": "frame-rvdiff-u32", "kind": "ramp", "dtype": "<u4", "nbytes": 250_000,
        "seed": 99, "codec": RV, "codec_meta": 4, "clevel": 5, "typesize": 4,
        "filters": slots((DIFF, 0))[0], "filters_meta": [0] * 6, "splitmode": "auto",
        "blocksize": 0,
    }
    data = make_data(case["kind"], case["dtype"], case["nbytes"], case["seed"])
    chunksize = 80_000
    sc = blosc2.SChunk(chunksize=chunksize, cparams=cparams_of(case),
                       dparams=blosc2.DParams(nthreads=1))
    for at in range(0, len(data), chunksize):
        sc.append_data(data[at:at + chunksize])
    frame = sc.to_cframe()
    back = b"".join(
        decoded_sha(sc, i, min(chunksize, len(data) - i * chunksize)) for i in range(sc.nchunks)
    )
    if back != data:
        sys.exit("frame: python-blosc2 does not round-trip")
    path = OUT / f"{case['name']}.b2frame"
    path.write_bytes(frame)
    total += len(frame)
    entries.append({**case, "file": path.name, "chunksize": chunksize, "nchunks": sc.nchunks,
                    "sha256": hashlib.sha256(back).hexdigest()})

    if total > SIZE_BUDGET:
        sys.exit(f"generate_user_vectors: {total} bytes exceed the budget of {SIZE_BUDGET}")
    manifest = {
        "generator": "crates/blockcodec/tests/data/generate_user_vectors.py",
        "plugins": "tools/user_plugins.py",
        "blosc2_version": blosc2.__version__,
        "c_blosc2_version": blosc2.VERSION_STRING,
        "codec_id": RV,
        "filter_id": DIFF,
        "entries": entries,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(entries)} files, {total} bytes, into {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
