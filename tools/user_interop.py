#!/usr/bin/env python3
"""Live cross-check of user-defined codecs and filters between blockcodec and python-blosc2.

    tools/setup-venv.sh && cargo build -p blockcodec --example user_interop
    .venv/bin/python tools/user_interop.py --bin target/debug/examples/user_interop

python-blosc2 (pinned 4.14.1) registers the Python versions of the example plugins
(tools/user_plugins.py: codec 160 "repeated-value", filter 160 "difference"); blockcodec's
example binary has the Rust versions (crates/blockcodec/examples/common/plugins.rs). Then:
  (a) python-blosc2 compresses each case (dtype x size x data kind x parameters, one thread as
      it requires for Python plugins) and the Rust binary decodes python's chunks (1 and 3
      threads) and a python-made frame;
  (b) the Rust binary compresses the same inputs (1 and 4 threads, identical bytes) and writes a
      frame; python-blosc2 decodes every Rust chunk (inserted into an SChunk with the plugins'
      parameters, since python-blosc2 only runs Python codecs inside an SChunk) and opens the
      Rust frame with `blosc2.open`;
  (c) checks the Rust chunks are byte-identical to python-blosc2's (both sides run the same
      deterministic plugins and C-Blosc2's one-thread writer), except for the documented header
      divergence of blosc-format.md §5.4 Q2: a requested blocksize above an nbytes that is not
      a multiple of typesize, which C stores unrounded and blockcodec rounds (only those header
      bytes may differ).
Ends with `user-interop: N passed, M failed`; exits 1 if anything failed.
"""

import os

for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import user_plugins  # noqa: E402

PINS = {"blosc2": "4.14.1"}
RV = user_plugins.CODEC_ID
DIFF = user_plugins.FILTER_ID
SPLITMODES = {"auto": blosc2.SplitMode.AUTO_SPLIT, "always": blosc2.SplitMode.ALWAYS_SPLIT}
TIMEOUT = 120
# How python-blosc2 reads a frame's parameters; run in a fresh interpreter because once Python
# plugins are registered, `blosc2.open` refuses frames whose header asks for several threads
# unless cparams/dparams are passed (and those then replace the header's values).
PROBE = """
import blosc2, json, sys
c = blosc2.open(sys.argv[1]).cparams
v = lambda x: int(getattr(x, "value", x))
print(json.dumps({"codec": v(c.codec), "codec_meta": c.codec_meta, "typesize": c.typesize,
                  "filters": [v(f) for f in c.filters], "filters_meta": list(c.filters_meta)}))
"""


def make_data(kind, dtype, nbytes, rng):
    itemsize = np.dtype(dtype).itemsize
    n = -(-nbytes // itemsize)
    if kind == "steps":
        a = (np.arange(n) // int(rng.integers(2, 400)) * 3).astype(dtype)
    elif kind == "ramp":
        a = (np.arange(n) * int(rng.integers(1, 9)) + int(rng.integers(0, 100))).astype(dtype)
    elif kind == "image":
        x = np.arange(n) % int(rng.integers(64, 1024))
        a = (x * 2 + rng.integers(0, 3, n)).astype(dtype)
    elif kind == "random":
        a = rng.integers(0, 256, n * itemsize, dtype=np.uint8).view(dtype)
    elif kind == "mixed":
        a = np.where(np.arange(n) % 5000 < 2500, 7, rng.integers(0, 50, n)).astype(dtype)
    else:
        a = np.zeros(n, dtype)
    return a.view(np.uint8)[:nbytes].tobytes()


def slots(*pairs):
    f, m = [0] * 6, [0] * 6
    for i, (fid, meta) in enumerate(pairs):
        f[i], m[i] = fid, meta
    return f, m


def cparams_of(c):
    return blosc2.CParams(
        codec=c["codec"], codec_meta=c["codec_meta"], clevel=c["clevel"], typesize=c["typesize"],
        filters=list(c["filters"]), filters_meta=list(c["filters_meta"]),
        splitmode=SPLITMODES[c["splitmode"]], blocksize=c["blocksize"], nthreads=1,
    )


def cases(rng):
    shuffle = blosc2.Filter.SHUFFLE.value
    bitshuffle = blosc2.Filter.BITSHUFFLE.value
    lz4 = blosc2.Codec.LZ4.value
    zstd = blosc2.Codec.ZSTD.value
    param_sets = [
        # codec, codec_meta (None: the typesize), clevel, filters, splitmode, blocksize
        (RV, None, 5, slots(), "auto", 0),
        (RV, 0, 5, slots(), "auto", 0),
        (RV, None, 5, slots((DIFF, 0)), "auto", 0),
        (RV, None, 9, slots((DIFF, 0)), "auto", 8192),
        (RV, 1, 5, slots((DIFF, 0), (shuffle, 0)), "auto", 0),
        (RV, 0, 5, slots((shuffle, 0)), "always", 0),
        (RV, 0, 3, slots((DIFF, 1), (bitshuffle, 0)), "auto", 4096),
        (RV, None, 0, slots((DIFF, 0)), "auto", 0),
        (lz4, 0, 5, slots((DIFF, 0)), "auto", 0),
        (zstd, 0, 1, slots((shuffle, 0), (DIFF, 0)), "auto", 0),
    ]
    dtypes = ["u1", "<u2", "<i4", "<f4", "<u8", "<f8"]
    kinds = ["steps", "ramp", "image", "random", "mixed", "zeros"]
    sizes = [1, 31, 1000, 4099, 70_001, 300_000]
    i = 0
    for p in param_sets:
        for _ in range(4):
            dtype = dtypes[rng.integers(len(dtypes))]
            kind = kinds[rng.integers(len(kinds))]
            nbytes = int(sizes[rng.integers(len(sizes))])
            codec, cmeta, clevel, (f, m), split, bs = p
            ts = np.dtype(dtype).itemsize
            yield {
                "name": f"{i:03d}-{codec}-{kind}-{dtype.strip('<')}-{nbytes}",
                "kind": kind, "dtype": dtype, "nbytes": nbytes,
                "codec": codec, "codec_meta": ts if cmeta is None else cmeta, "clevel": clevel,
                "typesize": ts, "filters": f, "filters_meta": m, "splitmode": split,
                "blocksize": bs,
            }
            i += 1


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}")


def decode_with_python(chunk, case, nbytes):
    """python-blosc2 runs Python codecs only inside an SChunk: insert the chunk into one."""
    sc = blosc2.SChunk(chunksize=max(nbytes, 1), cparams=cparams_of(case),
                       dparams=blosc2.DParams(nthreads=1))
    sc.append_chunk(chunk)
    out = np.full(nbytes, 0xA5, np.uint8)
    sc.decompress_chunk(0, out)
    return out.tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="built example: target/debug/examples/user_interop")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", help="work in this directory and keep it")
    args = ap.parse_args()
    if blosc2.__version__ != PINS["blosc2"]:
        sys.exit(f"user-interop: blosc2 {blosc2.__version__}, want {PINS['blosc2']}")
    start = time.monotonic()
    user_plugins.register()
    rng = np.random.default_rng(args.seed)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="user-interop-"))
    work.mkdir(parents=True, exist_ok=True)
    t = Tally()

    # (a) python-blosc2 writes.
    entries = []
    for case in cases(rng):
        data = make_data(case["kind"], case["dtype"], case["nbytes"], rng)
        sc = blosc2.SChunk(chunksize=len(data), cparams=cparams_of(case),
                           dparams=blosc2.DParams(nthreads=1))
        sc.append_data(data)
        (work / f"{case['name']}.bin").write_bytes(data)
        (work / f"{case['name']}.py.b2chunk").write_bytes(sc.get_chunk(0))
        entries.append({**case, "data": f"{case['name']}.bin", "py": f"{case['name']}.py.b2chunk"})
    frame_case = {
        "name": "frame", "codec": RV, "codec_meta": 4, "clevel": 5, "typesize": 4,
        "filters": slots((DIFF, 0))[0], "filters_meta": [0] * 6, "splitmode": "auto",
        "blocksize": 0, "chunksize": 100_000,
    }
    fdata = make_data("image", "<u4", 450_000, rng)
    sc = blosc2.SChunk(chunksize=frame_case["chunksize"], cparams=cparams_of(frame_case),
                       dparams=blosc2.DParams(nthreads=1))
    for at in range(0, len(fdata), frame_case["chunksize"]):
        sc.append_data(fdata[at:at + frame_case["chunksize"]])
    (work / "frame.bin").write_bytes(fdata)
    (work / "frame.py.b2frame").write_bytes(sc.to_cframe())
    frame_case.update(data="frame.bin", py="frame.py.b2frame")
    manifest = {"cases": entries, "frame": frame_case}
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1))

    # The Rust side: decodes python's files, writes its own.
    r = subprocess.run([args.bin, str(work)], capture_output=True, text=True, timeout=TIMEOUT)
    print(r.stdout.strip())
    if r.returncode not in (0, 1):
        print(r.stderr)
        sys.exit("user-interop: the Rust binary failed to run")
    report = json.loads((work / "rust_report.json").read_text())
    t.check(report["decoded_python_chunks"] == len(entries),
            f"rust decoded {report['decoded_python_chunks']}/{len(entries)} python chunks")
    t.check(report["frames_ok"] == 2, "rust frame decode/write")
    for e in report["errors"]:
        t.check(False, f"rust: {e}")

    # (b) python-blosc2 decodes the Rust files.
    py_decoded = identical = q2 = 0
    for case in entries:
        rs_path = work / f"{case['name']}.rs.b2chunk"
        if not rs_path.exists():
            t.check(False, f"{case['name']}: no Rust chunk")
            continue
        rs = rs_path.read_bytes()
        data = (work / case["data"]).read_bytes()
        try:
            ok = decode_with_python(rs, case, len(data)) == data
        except Exception as exc:  # noqa: BLE001 - report any python-blosc2 failure
            print(f"  {case['name']}: {exc}")
            ok = False
        t.check(ok, f"{case['name']}: python-blosc2 decodes the Rust chunk")
        py_decoded += ok
        py = (work / case["py"]).read_bytes()
        if rs == py:
            identical += 1
        elif (case["blocksize"] and case["nbytes"] % case["typesize"]
              and rs[:8] + rs[12:] == py[:8] + py[12:]):
            q2 += 1
        else:
            t.check(False, f"{case['name']}: Rust chunk differs from python-blosc2's")
    try:
        path = str(work / "frame.rs.b2frame")
        probe = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True,
                               text=True, timeout=TIMEOUT, check=True)
        header = json.loads(probe.stdout)
        want = {k: frame_case[k] for k in ("codec", "codec_meta", "typesize", "filters",
                                           "filters_meta")}
        if header != want:
            print(f"  frame header as python-blosc2 reads it: {header}, want {want}")
        rf = blosc2.open(path, cparams={"nthreads": 1}, dparams={"nthreads": 1})
        back = b"".join(rf.decompress_chunk(i) for i in range(rf.nchunks))
        ok = back == fdata and header == want
    except Exception as exc:  # noqa: BLE001
        print(f"  frame: {exc}")
        ok = False
    t.check(ok, "python-blosc2 opens and decodes the Rust frame")
    print(f"python-blosc2 decoded {py_decoded}/{len(entries)} Rust chunks and the Rust frame: "
          f"{'yes' if ok else 'no'}; Rust chunks byte-identical to python-blosc2's: "
          f"{identical}/{len(entries)} (+{q2} differing only in the §5.4 Q2 blocksize field); "
          f"{time.monotonic() - start:.1f}s")
    print(f"user-interop: {t.passed} passed, {t.failed} failed")
    if not args.keep:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
