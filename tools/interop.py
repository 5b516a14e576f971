#!/usr/bin/env python3
"""Live differential test of the `cimg` CLI against the C libraries.

    tools/setup-venv.sh && .venv/bin/python tools/interop.py --cimg target/debug/cimg [--quick]

Checks, over a deterministic sample of codec x filters x split mode x size x typesize x clevel:
  (a) C-Blosc2 (python-blosc2 compress2, 1 or 2 threads) compresses, `cimg decompress` must
      give the input back;
  (b) `cimg compress` compresses, C-Blosc2 (decompress2) must give the input back, and the
      header must be sane (nbytes, cbytes == file length <= nbytes + 32). For BloscLZ our chunk
      (made with 1 or 2 threads: ours must not depend on it) is also compared byte for byte
      with C's single-threaded chunk for the same parameters and the same 6-slot filter layout
      (reported; a failure only with --require-identical-blosclz);
  (c) special-value chunks (SChunk.fill_special), C-Blosc 1.x chunks (python-blosc
      blosc.compress) and the C-Blosc2 compat fixtures (tests/data/compat) through
      `cimg decompress`.
Ends with the line `interop: N passed, M failed`; exits 1 if anything failed.

Known C quirk handled here: C-Blosc2 never writes the last `nbytes % w` bytes of a DELTA block
(w = delta word size, blosc-format.md §4.3), so for DELTA pipelines those trailing bytes are not
compared (and such chunks are not counted in the BloscLZ byte-identity figures).

Second C quirk: C-Blosc2 3.3.5 decoding a DELTA chunk with more than one thread sometimes
writes wrong bytes after the first block (its own chunks too: 15 of 200 decodes of one Zstd
chunk, 42 of 200 with LZ4; the blocks are decoded in parallel while every block's delta refers
to block 0). So C decodes DELTA chunks on one thread here.
"""

import os

# Environment variables such as BLOSC_NTHREADS/BLOSC_CLEVEL override parameters inside C.
for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc  # noqa: E402
import blosc2  # noqa: E402
import numpy as np  # noqa: E402

PINS = {"blosc2": "4.14.1", "blosc": "1.11.4", "numpy": "2.4.6"}
REPO = Path(__file__).resolve().parent.parent
COMPAT_DIR = REPO / "crates/blockcodec/tests/data/compat"
TIMEOUT = 30  # seconds per cimg run

CODEC_IDS = {"blosclz": 0, "lz4": 1, "lz4hc": 2, "zlib": 4, "zstd": 5}
FILTER_IDS = {"shuffle": 1, "bitshuffle": 2, "delta": 3}
FILTER_SETS = {
    "none": [], "shuffle": ["shuffle"], "bitshuffle": ["bitshuffle"], "delta": ["delta"],
    "shuffle+delta": ["shuffle", "delta"], "delta+shuffle": ["delta", "shuffle"],
    "delta+bitshuffle": ["delta", "bitshuffle"],
}
SPLITS = {"auto": blosc2.SplitMode.AUTO_SPLIT, "always": blosc2.SplitMode.ALWAYS_SPLIT,
          "never": blosc2.SplitMode.NEVER_SPLIT}
# Repeats weight the draw: the 1 MB size is the expensive one.
SIZES = [0, 1, 100, 100, 4096 + 3, 4096 + 3, 100000, 100000, 1000003]
TYPESIZES = [1, 2, 4, 8, 3, 16]
CLEVELS = [0, 1, 5, 9]
KINDS = ["ramp", "image", "random", "sparse", "zeros"]


# ----------------------------------------------------------------------------------------------
# Data and helpers


def make_data(kind, nbytes, typesize, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    if kind == "zeros":
        return bytes(nbytes)
    if kind == "random":
        return rng.bytes(nbytes)
    if kind == "sparse":
        buf = np.zeros(nbytes, np.uint8)
        hits = rng.random(nbytes) < 0.02
        buf[hits] = rng.integers(1, 256, size=int(hits.sum()), dtype=np.uint8)
        return buf.tobytes()
    n = -(-nbytes // typesize)
    if kind == "ramp":  # element i = i, little-endian, zero-extended past 8 bytes
        words = np.arange(n, dtype="<u8").view(np.uint8).reshape(n, 8)
        pad = np.zeros((n, max(typesize - 8, 0)), np.uint8)
        return np.concatenate([words[:, :typesize], pad], axis=1).tobytes()[:nbytes]
    if kind == "image":  # smooth 2-D u16 field with sparse noise
        idx = np.arange(-(-nbytes // 2), dtype=np.int64)
        x, y = idx % 509, idx // 509
        v = ((x - 200) ** 2 + (y - 150) ** 2) // 8 + 3 * x + 2 * y
        v += rng.integers(-2, 3, size=idx.size) * (rng.random(idx.size) < 0.05)
        return (v & 0xFFFF).astype("<u2").tobytes()[:nbytes]
    raise ValueError(kind)


def delta_word(typesize):
    return typesize if typesize in (1, 2, 4, 8) else (8 if typesize % 8 == 0 else 1)


def exempt_tail(case):
    """Trailing bytes C-Blosc2 leaves unwritten through DELTA (see module docstring)."""
    return case["nbytes"] % delta_word(case["typesize"]) if "delta" in case["filters"] else 0


def slots(filters, align="end"):
    """6-slot filter list. `cimg compress` puts the given filters in the LAST slots in order;
    python-blosc2 itself pads a short list at the end ("start" here)."""
    ids = [FILTER_IDS[f] for f in filters]
    pad = [0] * (6 - len(ids))
    return pad + ids if align == "end" else ids + pad


def c_compress(data, case, nthreads, align="end"):
    return blosc2.compress2(
        data, codec=blosc2.Codec(CODEC_IDS[case["codec"]]), clevel=case["clevel"],
        typesize=case["typesize"], nthreads=nthreads, blocksize=case["blocksize"],
        splitmode=SPLITS[case["split"]], filters=slots(case["filters"], align), filters_meta=[0] * 6)


def c_decompress(chunk, nbytes, nthreads=1):
    if nbytes == 0:
        return bytes(blosc2.decompress2(chunk, nthreads=nthreads))
    dst = bytearray(nbytes)  # zero-filled: UNINIT chunks and bytes C leaves unwritten read as 0
    blosc2.decompress2(chunk, dst=dst, nthreads=nthreads)
    return bytes(dst)


def diff(got, want, ignore_tail=0):
    """None if equal (ignoring the last `ignore_tail` bytes), else a short description."""
    if len(got) != len(want):
        return f"length {len(got)} != expected {len(want)}"
    n = len(want) - ignore_tail
    if got[:n] == want[:n]:
        return None
    a = np.frombuffer(got[:n], np.uint8)
    b = np.frombuffer(want[:n], np.uint8)
    bad = np.flatnonzero(a != b)
    i = int(bad[0])
    return (f"{bad.size} byte(s) differ, first at offset {i}: got {got[i:i + 8].hex()} "
            f"expected {want[i:i + 8].hex()}")


class Cimg:
    def __init__(self, path):
        self.path = path

    def run(self, *args):
        """Run cimg; returns None on success or an error description."""
        try:
            p = subprocess.run([self.path, *map(str, args)], capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"timed out after {TIMEOUT} s: cimg {' '.join(map(str, args))}"
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace").strip().splitlines()
            return f"exit {p.returncode}: {err[-1] if err else '(no stderr)'}"
        return None

    def decompress(self, chunk, tmp, tag):
        src, out = tmp / f"{tag}.in", tmp / f"{tag}.out"
        src.write_bytes(chunk)
        err = self.run("decompress", src, "-o", out)
        return (None, err) if err else (out.read_bytes(), None)

    def compress(self, data, case, nthreads, tmp, tag):
        src, out = tmp / f"{tag}.raw", tmp / f"{tag}.b2chunk"
        src.write_bytes(data)
        args = ["compress", src, "-o", out, "--codec", case["codec"], "--clevel", case["clevel"],
                "--typesize", case["typesize"], "--splitmode", case["split"]]
        for f in case["filters"] or ["none"]:
            args += ["--filter", f]
        if case["blocksize"]:
            args += ["--blocksize", case["blocksize"]]
        if nthreads != 1:
            args += ["--nthreads", nthreads]
        err = self.run(*args)
        return (None, err) if err else (out.read_bytes(), None)


# ----------------------------------------------------------------------------------------------
# Case matrix


def balanced(rng, values, n):
    """n draws in which every value occurs equally often (up to one), in random order."""
    out = []
    while len(out) < n:
        block = list(values)
        rng.shuffle(block)
        out += block
    return out[:n]


def build_cases(n, codecs, seed):
    rng = random.Random(seed)
    cols = {
        "codec": balanced(rng, codecs, n), "filters": balanced(rng, list(FILTER_SETS), n),
        "split": balanced(rng, list(SPLITS), n), "nbytes": balanced(rng, SIZES, n),
        "typesize": balanced(rng, TYPESIZES, n), "clevel": balanced(rng, CLEVELS, n),
        "kind": balanced(rng, KINDS, n),
    }
    cases = []
    for i in range(n):
        c = {k: v[i] for k, v in cols.items()}
        c["filters_name"], c["filters"] = c["filters"], FILTER_SETS[c["filters"]]
        # An explicit blocksize (a multiple of typesize, smaller than nbytes: otherwise C itself
        # writes undecodable chunks, blosc-format.md §5.4 Q2) in a quarter of the cases.
        bs = c["typesize"] * rng.choice([64, 256, 1000, 4096])
        c["blocksize"] = bs if rng.random() < 0.25 and bs < c["nbytes"] else 0
        c["c_nthreads"] = 2 if rng.random() < 0.25 else 1
        c["our_nthreads"] = 2 if rng.random() < 0.3 else 1
        c["align"] = "start" if rng.random() < 0.3 else "end"  # slot layout C uses in (a)
        c["seed"] = rng.getrandbits(64)
        c["id"] = i
        cases.append(c)
    return cases


def label(c):
    return (f"#{c['id']} codec={c['codec']} clevel={c['clevel']} typesize={c['typesize']} "
            f"filters={c['filters_name']} split={c['split']} nbytes={c['nbytes']} "
            f"blocksize={c['blocksize'] or 'auto'} data={c['kind']}")


# ----------------------------------------------------------------------------------------------
# Checks. Each returns a list of (ok, label, detail); detail is None when ok.


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.identical = self.different = self.not_comparable = self.c_broken = 0
        self.first_different = []


def check_matrix_case(c, cimg, args, tmp, stats):
    results = []
    data = make_data(c["kind"], c["nbytes"], c["typesize"], c["seed"])
    tail = exempt_tail(c)

    # (a) C compresses, we decode.
    if c["codec"] in args.decode_codecs:
        chunk = c_compress(data, c, c["c_nthreads"], c["align"])
        what = f"(a) C->cimg nthreads={c['c_nthreads']} slots={c['align']} {label(c)}"
        if diff(c_decompress(chunk, len(data)), data, tail) is not None:
            with stats.lock:
                stats.c_broken += 1  # C cannot round-trip this itself: nothing to compare to
        else:
            got, err = cimg.decompress(chunk, tmp, f"a{c['id']}")
            d = err or diff(got, data, tail)
            results.append((d is None, what, d))

    # (b) we compress, C decodes; BloscLZ chunks are also compared with C's bytes.
    if c["codec"] in args.our_codecs:
        what = f"(b) cimg->C nthreads={c['our_nthreads']} {label(c)}"
        ours, err = cimg.compress(data, c, c["our_nthreads"], tmp, f"b{c['id']}")
        if err is None:
            err = header_problem(ours, len(data))
        if err is None:
            try:
                # C decodes DELTA chunks with one thread (see the module docstring).
                c_nt = 1 if "delta" in c["filters"] else c["our_nthreads"]
                err = diff(c_decompress(ours, len(data), c_nt), data, tail)
            except Exception as e:  # noqa: BLE001 - C rejected our chunk
                err = f"C-Blosc2 cannot decode our chunk: {e}"
        results.append((err is None, what, err))
        if err is None and c["codec"] == "blosclz":
            ref = c_compress(data, c, 1)
            with stats.lock:
                if tail:
                    stats.not_comparable += 1
                elif ours == ref:
                    stats.identical += 1
                else:
                    stats.different += 1
                    if len(stats.first_different) < 5:
                        stats.first_different.append(f"{label(c)}: {diff(ours, ref) or 'same bytes?'}")
            if args.require_identical_blosclz and not tail and ours != ref:
                results.append((False, f"(b) blosclz byte-identity {label(c)}", diff(ours, ref)))
    return results


def header_problem(chunk, nbytes):
    if len(chunk) < 16:
        return f"chunk only {len(chunk)} bytes"
    h_nbytes = int.from_bytes(chunk[4:8], "little")
    h_cbytes = int.from_bytes(chunk[12:16], "little")
    if h_nbytes != nbytes:
        return f"header nbytes {h_nbytes} != {nbytes}"
    if h_cbytes != len(chunk):
        return f"header cbytes {h_cbytes} != file length {len(chunk)}"
    if h_cbytes > nbytes + 32:
        return f"cbytes {h_cbytes} > nbytes + 32"
    return None


def special_chunks(quick):
    """(name, chunk, expected) for each special-value kind, via SChunk.fill_special."""
    specs = [("zeros", 4, 4096, None), ("zeros", 1, 777, None), ("nan", 4, 4000, None),
             ("nan", 8, 8000, None), ("uninit", 8, 8192, None), ("value", 1, 1000, 7),
             ("value", 2, 2000, 300), ("value", 4, 4000, 1.5), ("value", 8, 8000, -2.25),
             ("value", 16, 1600, 1 + 2j)]
    if quick:
        specs = specs[::2]
    out = []
    for name, ts, n, value in specs:
        sv = {"zeros": blosc2.SpecialValue.ZERO, "nan": blosc2.SpecialValue.NAN,
              "uninit": blosc2.SpecialValue.UNINIT, "value": blosc2.SpecialValue.VALUE}[name]
        schunk = blosc2.SChunk(chunksize=n, cparams=dict(typesize=ts, nthreads=1))
        schunk.fill_special(n // ts, sv, value)
        chunk = schunk.get_chunk(0)
        # C leaves UNINIT output untouched; the Rust port zero-fills it (blosc-format.md §2.4).
        out.append((f"special {name} typesize={ts} nbytes={n}", chunk, c_decompress(chunk, n)))
    return out


def c1_chunks(codecs, quick, seed):
    """(name, chunk, expected) for C-Blosc 1.x chunks over codecs x shuffle modes."""
    rng = random.Random(seed + 1)
    blosc.set_nthreads(1)
    out = []
    shuffles = {"noshuffle": blosc.NOSHUFFLE, "shuffle": blosc.SHUFFLE, "bitshuffle": blosc.BITSHUFFLE}
    for codec in codecs:
        for sname, shuffle in shuffles.items():
            for _ in range(1 if quick else 2):
                ts = rng.choice([1, 2, 3, 4, 8, 16])
                n = rng.choice([0, 100, 4099, 100000, 300001])
                kind = rng.choice(["ramp", "image", "sparse"])
                clevel = rng.choice([0, 1, 5, 9])
                data = make_data(kind, n, ts, rng.getrandbits(64))
                chunk = blosc.compress(data, typesize=ts, clevel=clevel, shuffle=shuffle, cname=codec)
                assert blosc.decompress(chunk) == data
                out.append((f"c-blosc1 codec={codec} {sname} clevel={clevel} typesize={ts} "
                            f"nbytes={n} data={kind}", chunk, data))
    return out


def compat_chunks(codecs, quick):
    """(name, chunk, expected sha256) for the copied C-Blosc2 compat fixtures."""
    manifest = COMPAT_DIR / "manifest.json"
    if not manifest.exists():
        return []
    out = []
    for e in json.loads(manifest.read_text())["fixtures"]:
        if e["codec"] in codecs and not (quick and e["nbytes"] > 1_000_000):
            out.append((f"compat {e['file']}", (COMPAT_DIR / e["file"]).read_bytes(), e["sha256"]))
    return out


def check_decode_only(name, chunk, expected, cimg, tmp, tag):
    got, err = cimg.decompress(chunk, tmp, tag)
    if err is None:
        if isinstance(expected, str):  # sha256 of the expected bytes
            sha = hashlib.sha256(got).hexdigest()
            err = None if sha == expected else f"sha256 {sha} != expected {expected} ({len(got)} bytes)"
        else:
            err = diff(got, expected)
    return [(err is None, f"(c) {name}", err)]


# ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cimg", required=True, help="path to the cimg binary")
    ap.add_argument("--quick", action="store_true", help="about 60 matrix cases instead of 300")
    ap.add_argument("--cases", type=int, help="number of matrix cases (overrides --quick)")
    ap.add_argument("--our-codecs", default="blosclz,lz4,lz4hc,zlib,zstd",
                    help="codecs cimg compresses for C to read back")
    ap.add_argument("--decode-codecs", default="blosclz,lz4,lz4hc,zlib,zstd",
                    help="codecs cimg can decode (default: blosclz,lz4,lz4hc,zlib,zstd)")
    ap.add_argument("--require-identical-blosclz", action="store_true",
                    help="fail when a BloscLZ chunk of ours differs from C's for the same parameters")
    ap.add_argument("--seed", type=int, default=20260907, help="matrix sampling seed")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel cases")
    args = ap.parse_args()
    for opt in ("our_codecs", "decode_codecs"):
        vals = [v for v in getattr(args, opt).split(",") if v]
        unknown = set(vals) - set(CODEC_IDS)
        if unknown:
            ap.error(f"unknown codec(s) {sorted(unknown)} in --{opt.replace('_', '-')}")
        setattr(args, opt, vals)

    got = {"blosc2": blosc2.__version__, "blosc": blosc.__version__, "numpy": np.__version__}
    if got != PINS:
        sys.exit(f"interop: package versions {got} != pins {PINS}; run tools/setup-venv.sh")
    cimg_path = Path(args.cimg)
    if not cimg_path.is_file() or not os.access(cimg_path, os.X_OK):
        sys.exit(f"interop: {cimg_path} is not an executable file (build the workspace first)")
    cimg = Cimg(str(cimg_path.resolve()))

    n = args.cases if args.cases is not None else (60 if args.quick else 300)
    codecs = sorted(set(args.our_codecs) | set(args.decode_codecs), key=list(CODEC_IDS).index)
    cases = build_cases(n, codecs, args.seed)
    print(f"interop: cimg={cimg.path}; {n} matrix cases; compress {','.join(args.our_codecs)}; "
          f"decode {','.join(args.decode_codecs)}; {args.jobs} jobs", flush=True)

    stats = Stats()
    t0 = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="interop-") as tmpdir, ThreadPoolExecutor(args.jobs) as pool:
        tmp = Path(tmpdir)
        futures = [pool.submit(check_matrix_case, c, cimg, args, tmp, stats) for c in cases]
        extra = (special_chunks(args.quick) + c1_chunks(args.decode_codecs, args.quick, args.seed)
                 + compat_chunks(args.decode_codecs, args.quick))
        futures += [pool.submit(check_decode_only, name, chunk, exp, cimg, tmp, f"c{i}")
                    for i, (name, chunk, exp) in enumerate(extra)]
        for f in futures:  # in submission order: deterministic output
            results += f.result()

    failed = [(what, detail) for ok, what, detail in results if not ok]
    for what, detail in failed:
        print(f"FAIL {what}\n     {detail}")
    compared = stats.identical + stats.different
    print(f"interop: blosclz byte-identical with C-Blosc2: {stats.identical} of {compared} "
          f"({stats.not_comparable} DELTA-tail chunk(s) not compared)")
    for line in stats.first_different:
        print(f"     differs: {line}")
    if stats.c_broken:
        print(f"interop: {stats.c_broken} case(s) not run in (a): C-Blosc2 cannot round-trip them")
    print(f"interop: {len(results)} checks in {time.monotonic() - t0:.1f} s")
    print(f"interop: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
