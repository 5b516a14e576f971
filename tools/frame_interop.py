#!/usr/bin/env python3
"""Live super-chunk frame interop test between blockcodec (`cimg`) and python-blosc2.

    tools/setup-venv.sh && .venv/bin/python tools/frame_interop.py --cimg target/debug/cimg

Checks, both ways, that the two implementations read each other's contiguous frames:
  (a) `cimg compress --frame` (codec x filter x typesize x chunksize x size x data kind):
      python-blosc2 opens the file with `blosc2.open` and the bytes with
      `blosc2.schunk_from_cframe`, and the chunks decode to the input;
  (b) frames written by blockcodec's API (`crates/blockcodec/tests/frames_export.rs`, run with
      BLOCKCODEC_FRAME_EXPORT_DIR; needs cargo, or pass --export-dir with its output): vlmeta of
      several msgpack types, metalayers, an NDArray (`b2nd`), special chunks, variable chunk
      sizes, a compressed offsets chunk, an empty frame, a sparse frame directory — python
      reads the same data, vlmeta and metalayers (and the NDArray's values);
  (c) frames python-blosc2 writes (`to_cframe`, urlpath files, `fill_special`, NDArrays,
      sparse directories, every codec): `cimg decompress` gives python's decoded bytes, and
      `cimg info --json` lists the same chunks, metalayers and vlmeta; for codecs this build
      cannot decode (none of python-blosc2's at present) `cimg decompress` must fail cleanly
      ("unsupported", exit 1, no output file left).
Ends with the line `frame-interop: N passed, M failed`; exits 1 if anything failed.
"""

import os

# Environment variables such as BLOSC_NTHREADS/BLOSC_CLEVEL override parameters inside C.
for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc2  # noqa: E402
import msgpack  # noqa: E402
import numpy as np  # noqa: E402

PINS = {"blosc2": "4.14.1"}
REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120
DECODABLE = {"blosclz", "lz4", "lz4hc", "zlib", "zstd"}
CODECS = {
    "blosclz": blosc2.Codec.BLOSCLZ,
    "lz4": blosc2.Codec.LZ4,
    "lz4hc": blosc2.Codec.LZ4HC,
    "zlib": blosc2.Codec.ZLIB,
    "zstd": blosc2.Codec.ZSTD,
}


class Tally:
    def __init__(self, verbose):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}{': ' + detail if detail else ''}")

    def run(self, name, fn):
        try:
            ok, detail = fn()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        self.check(name, ok, detail)


def cimg(args, exe):
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, timeout=TIMEOUT)


def make_data(kind, n, typesize, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    if kind == "zeros":
        return bytes(n)
    if kind == "random":
        return rng.bytes(n)
    if kind == "sparse":
        buf = np.zeros(n, np.uint8)
        hits = rng.random(n) < 0.01
        buf[hits] = rng.integers(1, 256, size=int(hits.sum()), dtype=np.uint8)
        return buf.tobytes()
    # ramp of typesize-wide little-endian integers
    items = (n + typesize - 1) // typesize
    vals = (np.arange(items, dtype=np.uint64) * 3 // 2) & ((1 << (8 * min(typesize, 8))) - 1)
    raw = b"".join(int(v).to_bytes(typesize, "little") for v in vals[:4096])
    return (raw * (items // 4096 + 1))[:n]


def python_decode(sc):
    """Every chunk decoded by C into a zero-filled buffer, concatenated."""
    parts = []
    for i in range(sc.nchunks):
        raw = sc.decompress_chunk(i)
        dst = np.zeros(len(raw), np.uint8)
        sc.decompress_chunk(i, dst)
        parts.append(dst.tobytes())
    return b"".join(parts)


def as_schunk(obj):
    return obj.schunk if hasattr(obj, "schunk") else obj


# ----------------------------------------------------------------------------------------------
# (a) cimg compress --frame -> python-blosc2


def part_a(t, exe, tmp, quick):
    cases = []
    codecs = ["lz4", "blosclz"]
    filters = [["shuffle"], ["bitshuffle"], ["none"]]
    sizes = [0, 1, 999, 100_000, 1_000_003]
    chunksizes = [1000, 4096, 65536, 1 << 20]
    kinds = ["ramp", "random", "zeros", "sparse"]
    typesizes = [1, 2, 4, 8]
    k = 0
    for codec in codecs:
        for flt in filters:
            for ts in typesizes:
                size = sizes[k % len(sizes)]
                cs = chunksizes[(k // 2) % len(chunksizes)]
                kind = kinds[(k // 3) % len(kinds)]
                cases.append((codec, flt, ts, size, cs, kind, k))
                k += 1
    # Edge cases: all-zero chunks whose size is not a multiple of the typesize (C cannot
    # rebuild those from a special offset), a zero first chunk, tiny chunks (thousands of
    # them: a compressed offsets chunk), chunk sizes that are not a multiple of the typesize.
    cases += [
        ("lz4", ["shuffle"], 8, 999, 1 << 20, "zeros", 101),
        ("lz4", ["shuffle"], 8, 10_000, 999, "zeros", 102),
        ("blosclz", ["shuffle"], 4, 20_000, 3, "sparse", 103),
        ("lz4", ["bitshuffle"], 2, 65_537, 1001, "ramp", 104),
        ("lz4", ["none"], 1, 1, 1, "random", 105),
        ("blosclz", ["shuffle"], 4, 5000, 7, "zeros", 106),
    ]
    if quick:
        cases = cases[::3]
    for codec, flt, ts, size, cs, kind, seed in cases:
        name = f"a/{codec}-{'+'.join(flt)}-t{ts}-n{size}-cs{cs}-{kind}"
        data = make_data(kind, size, ts, seed)
        src = tmp / "a.in"
        out = tmp / f"a-{seed}.b2frame"
        src.write_bytes(data)
        fargs = []
        for f in flt:
            fargs += ["--filter", f]

        def run(data=data, src=src, out=out, codec=codec, ts=ts, cs=cs, fargs=fargs):
            r = cimg(["compress", "--frame", "--chunksize", cs, "--codec", codec,
                      "--typesize", ts, *fargs, src, "-o", out], exe)
            if r.returncode != 0:
                return False, r.stderr.decode(errors="replace").strip()
            nchunks = -(-len(data) // cs)
            for how in ("open", "cframe"):
                if how == "open":
                    sc = as_schunk(blosc2.open(str(out)))
                else:
                    sc = blosc2.schunk_from_cframe(out.read_bytes(), copy=True)
                if sc.nchunks != nchunks or sc.nbytes != len(data):
                    return False, f"{how}: nchunks {sc.nchunks} nbytes {sc.nbytes}"
                if len(data) and sc.chunksize != min(cs, len(data)):
                    return False, f"{how}: chunksize {sc.chunksize}"
                if python_decode(sc) != data:
                    return False, f"{how}: decoded data differs"
            # And back through cimg.
            back = out.with_suffix(".out")
            r = cimg(["decompress", out, "-o", back], exe)
            if r.returncode != 0 or back.read_bytes() != data:
                return False, "cimg decompress of our own frame"
            return True, ""

        t.run(name, run)


# ----------------------------------------------------------------------------------------------
# (b) frames written through the blockcodec API -> python-blosc2


def part_b(t, export_dir):
    exp = json.loads((export_dir / "expected.json").read_text())
    for e in exp["frames"]:
        path = export_dir / e["file"]
        # Sparse frames (directories) can only be opened, not passed as bytes.
        for how in ("open",) if path.is_dir() else ("open", "cframe"):
            name = f"b/{e['file']}/{how}"

            def run(path=path, how=how, e=e):
                if how == "open":
                    obj = blosc2.open(str(path))
                else:
                    obj = blosc2.schunk_from_cframe(path.read_bytes(), copy=True)
                sc = as_schunk(obj)
                if sc.nchunks != e["nchunks"] or sc.nbytes != e["nbytes"]:
                    return False, f"nchunks {sc.nchunks} nbytes {sc.nbytes}"
                if sc.typesize != e["typesize"]:
                    return False, f"typesize {sc.typesize}"
                got = hashlib.sha256(python_decode(sc)).hexdigest()
                if got != e["sha256"]:
                    return False, "decoded data differs"
                vl = {(k.decode() if isinstance(k, bytes) else k): v
                      for k, v in sc.vlmeta.getall().items()}
                if set(vl) != set(e["vlmeta"]):
                    return False, f"vlmeta names {sorted(vl)}"
                for k, v in e["vlmeta"].items():
                    if vl[k] != v["json"]:
                        return False, f"vlmeta {k}: {vl[k]!r} != {v['json']!r}"
                for k, hexval in e["metalayers"].items():
                    if k == "b2nd":
                        continue  # checked through the NDArray below
                    if sc.meta[k] != msgpack.unpackb(bytes.fromhex(hexval)):
                        return False, f"metalayer {k}"
                nd = e.get("ndarray")
                if nd and how == "open":
                    if not hasattr(obj, "shape"):
                        return False, f"opened as {type(obj).__name__}, not NDArray"
                    want = (np.arange(np.prod(nd["shape"]), dtype=np.float64) * 0.5)
                    want = want.reshape(nd["shape"])
                    if obj.dtype.str != nd["dtype"] or not np.array_equal(obj[:], want):
                        return False, "NDArray values"
                return True, ""

            t.run(name, run)


def export_frames(tmp, cargo):
    out = tmp / "export"
    env = dict(os.environ, BLOCKCODEC_FRAME_EXPORT_DIR=str(out))
    r = subprocess.run([cargo, "test", "--quiet", "-p", "blockcodec", "--test", "frames_export",
                        "--", "--exact", "export_frames"],
                       cwd=REPO, env=env, capture_output=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError("frames_export failed:\n" + r.stderr.decode(errors="replace")[-3000:])
    return out


# ----------------------------------------------------------------------------------------------
# (c) python-blosc2 frames -> cimg


def python_frames(tmp):
    """(name, path, codec) of frames python-blosc2 writes."""
    d = tmp / "py"
    d.mkdir()
    out = []
    ramp = (np.arange(25_000) % 977).astype(np.int32)
    for codec in CODECS:
        sc = blosc2.SChunk(chunksize=16_000, cparams={"codec": CODECS[codec], "typesize": 4,
                                                      "nthreads": 1})
        for i in range(0, len(ramp), 4000):
            sc.append_data(ramp[i:i + 4000])
        sc.vlmeta["codec"] = codec
        sc.vlmeta["n"] = [1, 2.5, None, {"x": "y"}]
        p = d / f"cframe-{codec}.b2frame"
        p.write_bytes(sc.to_cframe())
        out.append((p.name, p, codec))
        p = d / f"file-{codec}.b2frame"
        sc = blosc2.SChunk(chunksize=8000, urlpath=str(p), mode="w", contiguous=True,
                           cparams={"codec": CODECS[codec], "typesize": 2, "clevel": 9},
                           meta={"m": [1, 2, 3]})
        for i in range(7):
            sc.append_data((np.arange(4000) * (i + 1)).astype(np.int16)[: 4000 - 500 * (i == 6)])
        sc.vlmeta["file"] = True
        out.append((p.name, p, codec))
    for kind, sv in [("zeros", blosc2.SpecialValue.ZERO), ("nan", blosc2.SpecialValue.NAN),
                     ("uninit", blosc2.SpecialValue.UNINIT)]:
        p = d / f"fill-{kind}.b2frame"
        sc = blosc2.SChunk(chunksize=80_000, urlpath=str(p), mode="w", contiguous=True,
                           cparams={"typesize": 8})
        sc.fill_special(123_457, sv)
        out.append((p.name, p, "zstd-special"))
    p = d / "many.b2frame"
    sc = blosc2.SChunk(chunksize=64, urlpath=str(p), mode="w", contiguous=True,
                       cparams={"codec": blosc2.Codec.LZ4, "typesize": 4})
    for i in range(5000):
        sc.append_data(np.full(16, i % 3, np.int32) if i % 7 else np.arange(16, dtype=np.int32))
    out.append((p.name, p, "lz4"))
    p = d / "nd.b2nd"
    blosc2.asarray(np.linspace(0, 1, 3000).reshape(30, 100), chunks=(16, 32), blocks=(8, 16),
                   urlpath=str(p), mode="w", cparams={"codec": blosc2.Codec.LZ4})
    out.append((p.name, p, "lz4"))
    p = d / "sparse.b2frame.d"
    sc = blosc2.SChunk(chunksize=4000, urlpath=str(p), mode="w", contiguous=False,
                       cparams={"codec": blosc2.Codec.BLOSCLZ, "typesize": 4})
    sc.append_data(ramp[:1000])
    sc.append_data(np.zeros(1000, np.int32))
    sc.append_data(ramp[:300])
    sc.vlmeta["sparse"] = "yes"
    out.append((p.name, p, "blosclz"))
    sc = blosc2.SChunk(cparams={"codec": blosc2.Codec.LZ4, "typesize": 1})
    for n in [100, 5, 3000, 1]:
        sc.append_data(np.full(n, n % 251, np.uint8))
    p = d / "varchunks.b2frame"
    p.write_bytes(sc.to_cframe())
    out.append((p.name, p, "lz4"))
    return out


def part_c(t, exe, tmp):
    for name, path, codec in python_frames(tmp):
        obj = blosc2.open(str(path))
        sc = as_schunk(obj)
        want = python_decode(sc) if codec in DECODABLE or codec == "zstd-special" else None
        decodable = codec in DECODABLE or codec == "zstd-special"
        outp = tmp / (name + ".out")

        def run_dec(path=path, outp=outp, want=want, decodable=decodable):
            r = cimg(["decompress", path, "-o", outp], exe)
            if decodable:
                if r.returncode != 0:
                    return False, r.stderr.decode(errors="replace").strip()
                return outp.read_bytes() == want, "decoded bytes differ"
            err = r.stderr.decode(errors="replace").lower()
            if r.returncode == 0 or "unsupported" not in err:
                return False, f"expected a clean 'unsupported' failure, got rc {r.returncode}"
            return not outp.exists(), "partial output left behind"

        t.run(f"c/{name}/decompress", run_dec)

        def run_info(path=path, sc=sc, obj=obj):
            r = cimg(["info", "--json", path], exe)
            if r.returncode != 0:
                return False, r.stderr.decode(errors="replace").strip()
            info = json.loads(r.stdout)
            if info["nchunks"] != sc.nchunks or info["nbytes"] != sc.nbytes:
                return False, f"nchunks {info['nchunks']} nbytes {info['nbytes']}"
            if len(info["chunks"]) != sc.nchunks:
                return False, "chunk list length"
            vl = sorted(k.decode() if isinstance(k, bytes) else k for k in sc.vlmeta.getall())
            if sorted(info["vlmeta"]) != vl:
                return False, f"vlmeta {info['vlmeta']} != {vl}"
            if hasattr(obj, "shape"):
                b = info["b2nd"]
                if b is None or tuple(b["shape"]) != obj.shape or b["dtype"] != obj.dtype.str:
                    return False, f"b2nd {b}"
            if any(c["kind"].startswith("error") for c in info["chunks"]):
                return False, "a chunk could not be listed"
            return True, ""

        t.run(f"c/{name}/info", run_info)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cimg", type=Path, required=True, help="path to the cimg binary")
    ap.add_argument("--export-dir", type=Path,
                    help="output of frames_export.rs (default: run it with cargo)")
    ap.add_argument("--cargo", default=os.environ.get("CARGO", "cargo"))
    ap.add_argument("--quick", action="store_true", help="a third of the (a) cases")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if blosc2.__version__ != PINS["blosc2"]:
        print(f"warning: tested with blosc2=={PINS['blosc2']}, found {blosc2.__version__}",
              file=sys.stderr)
    exe = args.cimg.resolve()
    t = Tally(args.verbose)
    tmp = Path(tempfile.mkdtemp(prefix="frame-interop-"))
    try:
        part_a(t, exe, tmp, args.quick)
        try:
            export = args.export_dir or export_frames(tmp, args.cargo)
            part_b(t, export)
        except Exception as exc:  # noqa: BLE001
            t.check("b/export", False, str(exc))
        part_c(t, exe, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"frame-interop: {t.passed} passed, {t.failed} failed")
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
