#!/usr/bin/env python3
"""Generate the golden super-chunk frames used by `tests/frames_golden.rs`.

Run from the repository root:

    tools/setup-venv.sh && .venv/bin/python crates/blockcodec/tests/data/frames/generate_frames.py

(or any venv with `pip install blosc2==4.14.1 numpy msgpack`). Writes next to this script:

  py-*.b2frame, py-*.b2nd   frames written by python-blosc2 4.14.1 (bundling C-Blosc2 3.3.5):
                            in-memory `SChunk.to_cframe()` frames, `.b2frame` files written
                            chunk by chunk through `urlpath`, NDArray `.b2nd` files,
                            `fill_special` frames, vlmeta with several value types, metalayers,
                            variable chunk sizes, and codecs this build cannot decode (zstd, zlib)
  py-*.b2sparse/            one sparse frame (a directory: chunks.b2frame + %08X.chunk)
  c3-*.b2frame              C-Blosc2 3.0 compat frames copied from shared/data/blosc-compat
                            (variable-size chunks, variable-length blocks), with LICENSE.txt
  manifest.json             per frame: parameters, nchunks, nbytes, per-chunk nbytes, the
                            SHA-256 of all decoded chunk bytes in index order, metalayers (hex),
                            vlmeta (msgpack hex, and JSON where representable), b2nd geometry

Decoded bytes are what C decodes each chunk to, into a zero-filled buffer (so UNINIT chunks hash
as zeros, which is what blockcodec decodes them to). For NDArrays that is the chunk order of the
underlying SChunk (padded edge chunks included), not the logical array order.

Determinism: fixed data and one compression thread everywhere except where C itself uses four
(offsets chunks of file frames), so re-running reproduces the same decoded data; compressed
bytes may differ only where C's thread scheduling decides block order.
"""

import os

for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc2  # noqa: E402
import msgpack  # noqa: E402
import numpy as np  # noqa: E402

PINS = {"blosc2": "4.14.1"}
C_BLOSC2_VERSION = "3.3.5"
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[4]
SIZE_BUDGET = 1024 * 1024
DECODABLE = {"blosclz", "lz4", "lz4hc", "zlib", "zstd"}
CODECS = {
    "blosclz": blosc2.Codec.BLOSCLZ,
    "lz4": blosc2.Codec.LZ4,
    "lz4hc": blosc2.Codec.LZ4HC,
    "zlib": blosc2.Codec.ZLIB,
    "zstd": blosc2.Codec.ZSTD,
}
VLMETA = {
    "str": "hello, frames",
    "int": 42,
    "neg": -123456789,
    "float": 3.25,
    "bool": True,
    "none": None,
    "list": [1, 2, 3, "four"],
    "dict": {"a": 1, "b": [True, None], "c": "x"},
    "bytes": b"\x00\x01\x02\xff",
    "big": list(range(300)),
}


def cparams(codec, typesize, clevel=5, filters=None, nthreads=1, splitmode=None):
    cp = {
        "codec": CODECS[codec],
        "clevel": clevel,
        "typesize": typesize,
        "nthreads": nthreads,
        "filters": filters or [blosc2.Filter.SHUFFLE],
    }
    if splitmode is not None:
        cp["splitmode"] = splitmode
    return cp


def ramp(n, dtype):
    return (np.arange(n) % 1000).astype(dtype)


def decoded(schunk):
    """All chunks decoded by C, in index order, and their sizes."""
    parts, sizes = [], []
    for i in range(schunk.nchunks):
        raw = schunk.decompress_chunk(i)
        dst = np.zeros(len(raw), dtype=np.uint8)
        schunk.decompress_chunk(i, dst)
        parts.append(dst.tobytes())
        sizes.append(len(raw))
    return b"".join(parts), sizes


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, list):
        return all(jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and jsonable(x) for k, x in v.items())
    return False


def frame_metalayers(frame):
    """Metalayer contents (name -> hex) parsed from the frame header (blosc-format.md §6.3)."""
    header_len = int.from_bytes(frame[11:15], "big")
    p = 87
    assert frame[p] == 0x93 and frame[p + 1] == 0xCD and frame[p + 4] == 0xDE
    n = int.from_bytes(frame[p + 5:p + 7], "big")
    p += 7
    out = {}
    for _ in range(n):
        ln = frame[p] & 0x1F
        name = frame[p + 1:p + 1 + ln].decode()
        p += 1 + ln
        assert frame[p] == 0xD2
        off = int.from_bytes(frame[p + 1:p + 5], "big")
        p += 5
        assert frame[off] == 0xC6
        clen = int.from_bytes(frame[off + 1:off + 5], "big")
        assert off + 5 + clen <= header_len
        out[name] = frame[off + 5:off + 5 + clen].hex()
    return out


def describe(name, schunk, frame, meta_extra):
    data, sizes = decoded(schunk)
    entry = {
        "file": name,
        "nchunks": schunk.nchunks,
        "nbytes": schunk.nbytes,
        "chunksize": schunk.chunksize,
        "typesize": schunk.typesize,
        "chunk_nbytes": sizes,
        "sha256": hashlib.sha256(data).hexdigest(),
        "decodable": meta_extra.pop("codec") in DECODABLE,
    }
    entry.update(meta_extra)
    vl = {}
    for key, value in schunk.vlmeta.getall().items():
        key = key.decode() if isinstance(key, bytes) else key
        # The exact bytes python-blosc2 stored (its own packer, no tuples involved here).
        vl[key] = {"msgpack": blosc2.schunk.msgpack_packb(value).hex()}
        if jsonable(value):
            vl[key]["json"] = value
    entry["vlmeta"] = vl
    entry["metalayers"] = frame_metalayers(frame)
    return entry


def gen(out):
    entries = []

    def add_cframe(name, sc, **extra):
        frame = sc.to_cframe()
        (out / name).write_bytes(frame)
        back = blosc2.schunk_from_cframe(frame, copy=True)
        e = describe(name, back, frame, dict(extra))
        e["source"] = "SChunk.to_cframe()"
        entries.append(e)

    def add_file(name, sc, **extra):
        del sc  # urlpath frames are written as they grow; nothing left to flush
        path = out / name
        back = blosc2.open(str(path))
        sc2 = back.schunk if hasattr(back, "schunk") else back
        index = path / "chunks.b2frame" if path.is_dir() else path
        e = describe(name, sc2, index.read_bytes(), dict(extra))
        e["source"] = "urlpath (written chunk by chunk)"
        if hasattr(back, "shape"):
            e["ndarray"] = {
                "shape": list(back.shape),
                "chunks": list(back.chunks),
                "blocks": list(back.blocks),
                "dtype": back.dtype.str,
            }
        entries.append(e)

    # 1. In-memory frames, one per codec: 3 full chunks and a short last one, vlmeta.
    for codec in CODECS:
        sc = blosc2.SChunk(chunksize=4000, cparams=cparams(codec, 4))
        data = ramp(3500, np.int32)
        sc.append_data(data[:1000])
        sc.append_data(data[1000:2000])
        sc.append_data(data[2000:3000])
        sc.append_data(data[3000:3500])
        sc.vlmeta["codec"] = codec
        add_cframe(f"py-cframe-{codec}.b2frame", sc, codec=codec)

    # 2. vlmeta with several value types, plus metalayers (in-memory and file).
    sc = blosc2.SChunk(chunksize=800, cparams=cparams("lz4", 8),
                       meta={"m1": b"\x01\x02\x03", "abc": 7, "shape": [3, 4]})
    sc.append_data(ramp(100, np.float64))
    sc.append_data(ramp(40, np.float64))
    for k, v in VLMETA.items():
        sc.vlmeta[k] = v
    add_cframe("py-cframe-vlmeta.b2frame", sc, codec="lz4")

    path = out / "py-file-vlmeta.b2frame"
    sc = blosc2.SChunk(chunksize=2000, cparams=cparams("blosclz", 2), urlpath=str(path),
                       mode="w", contiguous=True, meta={"layer": {"x": 1}})
    for i in range(5):
        sc.append_data(ramp(1000, np.int16) + i)
    sc.append_data(ramp(300, np.int16))
    sc.vlmeta["title"] = "a file frame"
    sc.vlmeta["values"] = [1.5, 2.5]
    add_file(path.name, sc, codec="blosclz")

    # 3. Many chunks (offsets chunk compressed by C with 4 threads, NEVER_SPLIT, 16 KiB
    #    blocks), most of them zero specials that cost no bytes.
    path = out / "py-file-many.b2frame"
    sc = blosc2.SChunk(chunksize=256, cparams=cparams("lz4", 4), urlpath=str(path), mode="w",
                       contiguous=True)
    for i in range(3001):
        if i % 50 == 0:
            sc.append_data(ramp(64, np.int32) + i)
        else:
            sc.append_data(np.zeros(64, np.int32))
    add_file(path.name, sc, codec="lz4")

    # 4. fill_special frames (the offsets chunk is a repeated-value special chunk).
    for kind, sv, dtype in [("zeros", blosc2.SpecialValue.ZERO, np.int32),
                            ("nan", blosc2.SpecialValue.NAN, np.float64),
                            ("uninit", blosc2.SpecialValue.UNINIT, np.int32)]:
        path = out / f"py-fill-{kind}.b2frame"
        ts = np.dtype(dtype).itemsize
        sc = blosc2.SChunk(chunksize=1000 * ts, cparams=cparams("lz4", ts), urlpath=str(path),
                           mode="w", contiguous=True)
        sc.fill_special(12345, sv)
        add_file(path.name, sc, codec="lz4")
    sc = blosc2.SChunk(chunksize=4000, cparams=cparams("blosclz", 4))
    sc.fill_special(2500, blosc2.SpecialValue.VALUE, value=np.int32(7))
    add_cframe("py-cframe-fill-value.b2frame", sc, codec="blosclz")

    # 5. Variable chunk sizes (frame version 3, chunksize 0, general flags bit 6).
    sc = blosc2.SChunk(cparams=cparams("lz4", 4))
    for n in [10, 20, 5, 300, 7]:
        sc.append_data(ramp(n, np.int32))
    add_cframe("py-cframe-varchunks.b2frame", sc, codec="lz4")

    # 6. Mixed regular and special chunks in one frame; a non-default split and filter.
    sc = blosc2.SChunk(chunksize=4096, cparams=cparams("lz4", 8, clevel=9,
                                                       filters=[blosc2.Filter.BITSHUFFLE],
                                                       splitmode=blosc2.SplitMode.NEVER_SPLIT))
    sc.append_data(ramp(512, np.float64))
    sc.append_data(np.zeros(512, np.float64))
    sc.append_data(np.full(512, np.nan))
    sc.append_data(np.full(512, 2.5))
    sc.append_data(ramp(100, np.float64))
    add_cframe("py-cframe-mixed.b2frame", sc, codec="lz4")

    # 7. NDArrays (.b2nd): the b2nd metalayer decides NDArray vs SChunk.
    path = out / "py-ndarray-f8.b2nd"
    arr = blosc2.asarray(np.arange(30 * 20, dtype=np.float64).reshape(30, 20) / 7,
                         chunks=(16, 8), blocks=(8, 4), urlpath=str(path), mode="w",
                         cparams=cparams("lz4", 8))
    arr.vlmeta["units"] = "m/s"
    add_file(path.name, arr.schunk, codec="lz4")
    path = out / "py-ndarray-u2-zstd.b2nd"
    blosc2.asarray(np.arange(50 * 3, dtype=np.uint16).reshape(50, 3), chunks=(20, 3),
                   blocks=(10, 3), urlpath=str(path), mode="w", cparams=cparams("zstd", 2))
    add_file(path.name, None, codec="zstd")

    # 8. A sparse frame (directory): index chunks.b2frame + one file per stored chunk.
    path = out / "py-sparse.b2sparse"
    if path.exists():
        shutil.rmtree(path)
    sc = blosc2.SChunk(chunksize=400, cparams=cparams("lz4", 4), urlpath=str(path), mode="w",
                       contiguous=False)
    sc.append_data(ramp(100, np.int32))
    sc.append_data(np.zeros(100, np.int32))
    sc.append_data(ramp(60, np.int32))
    sc.vlmeta["sparse"] = True
    add_file(path.name, sc, codec="lz4")
    return entries


def copy_compat(src, out):
    entries = []
    shutil.copyfile(src / "LICENSE.txt", out / "LICENSE.txt")
    for f in sorted(src.glob("*.b2frame")):
        name = "c3-" + f.name
        shutil.copyfile(f, out / name)
        e = {"file": name, "source": "C-Blosc2 3.0 compat fixture (Blosc/c-blosc2 compat/)"}
        vl_blocks = "vlblocks" in f.name
        e["vl_blocks"] = vl_blocks
        try:
            sc = blosc2.open(str(out / name))
            e["nchunks"] = sc.nchunks
            e["nbytes"] = sc.nbytes
            e["chunksize"] = sc.chunksize
            e["typesize"] = sc.typesize
            e["metalayers"] = frame_metalayers((out / name).read_bytes())
            if not vl_blocks:
                data, sizes = decoded(sc)
                e["chunk_nbytes"] = sizes
                e["sha256"] = hashlib.sha256(data).hexdigest()
        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
            e["python_error"] = repr(exc)
        e["decodable"] = not vl_blocks
        e["vlmeta"] = {}
        e.setdefault("metalayers", {})
        entries.append(e)
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compat-src", type=Path,
                    default=Path(os.environ.get("BLOCKCODEC_COMPAT_SRC",
                                                REPO.parent / "shared/data/blosc-compat")))
    args = ap.parse_args()
    if blosc2.__version__ != PINS["blosc2"]:
        sys.exit(f"needs blosc2=={PINS['blosc2']}, found {blosc2.__version__}")
    out = HERE
    for f in out.glob("py-*"):
        if f.is_dir():
            shutil.rmtree(f)
        else:
            f.unlink()
    entries = gen(out)
    if args.compat_src.is_dir():
        entries += copy_compat(args.compat_src, out)
    else:
        print(f"warning: {args.compat_src} not found; compat frames not refreshed",
              file=sys.stderr)
        old = json.loads((out / "manifest.json").read_text()).get("frames", [])
        entries += [e for e in old if e["file"].startswith("c3-")]
    manifest = {
        "generator": "generate_frames.py",
        "blosc2": blosc2.__version__,
        "c_blosc2": C_BLOSC2_VERSION,
        "numpy": np.__version__,
        "frames": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(entries)} frames, {total} bytes -> {out}")
    if total > SIZE_BUDGET:
        sys.exit(f"test data is {total} bytes, over the {SIZE_BUDGET}-byte budget")


if __name__ == "__main__":
    main()
