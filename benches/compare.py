"""Side-by-side benchmark: `cimg bench` against C-Blosc2 (python-blosc2, pinned) in one run.

    tools/setup-venv.sh && cargo build --release -p cimg
    .venv/bin/python benches/compare.py [--quick] [--rounds 3] [--seconds 0.25] [--out bench-out]

Image channels are derived deterministically from the photo shipped in data/ (u8 planes,
16-bit and half/float linear light, and a sparse float mask). For every channel x codec
(lz4, blosclz) x clevel (1, 5) x threads (1, 2), with shuffle, both libraries compress and
decompress the same bytes with the same parameters, alternating --rounds times, each timed as
the best of repeated runs over at least --seconds (the best round is kept on either side).
C-Blosc2 runs through a one-chunk SChunk, whose contexts persist as ours do. Prints ours/C
ratios per configuration and their geometric means, memcpy of the same size and of 64 MiB for
scale, and writes results.json and throughput.png (matplotlib, installed into the venv on
first use).
"""
import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import time

for k in list(os.environ):
    if k.startswith("BLOSC"):
        del os.environ[k]

import blosc2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
PINNED = "4.14.1"


def channels(tmp: pathlib.Path):
    """(name, typesize, path) of the benchmark channels, planar, written to tmp."""
    rgb = np.fromfile(ROOT / "data" / "astronaut-512x512.rgb", dtype=np.uint8).reshape(512, 512, 3)
    planes = np.ascontiguousarray(rgb.transpose(2, 0, 1))  # R, G, B planes
    lin = (planes.astype(np.float32) / 255.0) ** 2.2
    mask = ((planes[0] > 180) & (planes[2] < 90)).astype(np.float32)
    out = {
        "u8 photo": planes,
        "u16 linear": np.round(lin * 65535).astype(np.uint16),
        "f16 linear": lin.astype(np.float16),
        "f32 linear": lin,
        "f32 sparse mask": mask,
    }
    result = []
    for name, arr in out.items():
        path = tmp / (name.replace(" ", "_") + ".raw")
        arr.tofile(path)
        result.append((name, arr.dtype.itemsize, path))
    return result


def best(seconds, fn):
    t_end = time.perf_counter() + seconds
    b = math.inf
    while True:
        t = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t)
        if time.perf_counter() >= t_end:
            return b


def c_bench(data, typesize, codec, clevel, nthreads, seconds):
    """C-Blosc2 through a one-chunk SChunk, whose compression and decompression contexts (and
    thread pools) persist between calls, as `cimg bench` keeps its own; `compress2` and
    `decompress2` would build a context, and start threads, on every call."""
    cparams = {
        "codec": getattr(blosc2.Codec, codec.upper()),
        "clevel": clevel,
        "typesize": typesize,
        "nthreads": nthreads,
        "filters": [blosc2.Filter.SHUFFLE],
        "splitmode": blosc2.SplitMode.FORWARD_COMPAT_SPLIT,
    }
    sc = blosc2.SChunk(chunksize=len(data), data=data, cparams=cparams,
                       dparams={"nthreads": nthreads})
    tc = best(seconds, lambda: sc.update_data(0, data, copy=True))
    chunk = sc.get_chunk(0)
    out = bytearray(len(data))
    tdn = best(seconds, lambda: sc.decompress_chunk(0, out))
    assert bytes(out) == data, "C roundtrip"
    mb = len(data) / 1e6
    return {"ratio": len(data) / len(chunk), "compress_mb_s": mb / tc, "decompress_mb_s": mb / tdn}


def memcpy_mb_s(seconds, nbytes):
    """memcpy (numpy copyto) of `nbytes`, MB/s."""
    src = np.ones(nbytes, dtype=np.uint8)
    dst = np.zeros_like(src)
    return nbytes / 1e6 / best(seconds, lambda: np.copyto(dst, src))


def our_bench(cimg, path, typesize, codec, clevel, nthreads, seconds):
    cmd = [cimg, "bench", str(path), "--typesize", str(typesize), "--codec", codec,
           "--clevel", str(clevel), "--nthreads", str(nthreads), "--filter", "shuffle",
           "--seconds", str(seconds), "--json"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def keep_best(acc, run):
    """Folds one run's figures into `acc`: ratio as is, speeds as the best so far."""
    for k, v in run.items():
        acc[k] = max(acc[k], v) if k.endswith("_mb_s") and k in acc else v


def gmean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cimg", default=str(ROOT / "target" / "release" / "cimg"))
    ap.add_argument("--seconds", type=float, default=0.25)
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternations of ours and C per configuration; each keeps its best")
    ap.add_argument("--quick", action="store_true", help="clevel 5 and one thread only")
    ap.add_argument("--codecs", default="lz4,blosclz", help="comma-separated (any of lz4, "
                    "blosclz, lz4hc, zstd, zlib)")
    ap.add_argument("--clevels", default="1,5", help="comma-separated compression levels")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--channels", default="", help="only channels whose name contains one of "
                    "these comma-separated words (default: all)")
    ap.add_argument("--out", default=str(ROOT / "bench-out"))
    args = ap.parse_args()
    if blosc2.__version__ != PINNED:
        sys.exit(f"python-blosc2 {blosc2.__version__} is installed; the comparison pins {PINNED}")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    words = [w for w in args.channels.split(",") if w]
    chans = [c for c in channels(out) if not words or any(w in c[0] for w in words)]
    codecs = args.codecs.split(",")
    clevels = [5] if args.quick else [int(x) for x in args.clevels.split(",")]
    threads = [1] if args.quick else [int(x) for x in args.threads.split(",")]
    rows = []
    big = memcpy_mb_s(args.seconds, 64 << 20)
    print(f"C-Blosc2 {blosc2.blosclib_version.split()[0]} (python-blosc2 {blosc2.__version__}) "
          f"vs {args.cimg}; best of {args.rounds} rounds of runs over {args.seconds} s each")
    hdr = (f"{'channel':16} {'codec':7} {'cl':>2} {'thr':>3} | {'ratio':>6} {'C':>6} {'x':>6} | "
           f"{'comp MB/s':>9} {'C':>6} {'x':>5} | {'dec MB/s':>8} {'C':>6} {'x':>5} | "
           f"{'dec/memcpy':>10}")
    print(hdr)
    for name, ts, path in chans:
        data = path.read_bytes()
        memcpy = memcpy_mb_s(args.seconds, len(data))
        for codec in codecs:
            for clevel in clevels:
                for nt in threads:
                    ours, c = {}, {}
                    for _ in range(args.rounds):  # interleaved; keep each side's best
                        keep_best(ours, our_bench(args.cimg, path, ts, codec, clevel, nt,
                                                  args.seconds))
                        keep_best(c, c_bench(data, ts, codec, clevel, nt, args.seconds))
                    r = {
                        "channel": name, "codec": codec, "clevel": clevel, "nthreads": nt,
                        "ours": ours, "c": c, "memcpy_mb_s": memcpy,
                        "memcpy_64mib_mb_s": big,
                        "ratio": ours["ratio"] / c["ratio"],
                        "compress": ours["compress_mb_s"] / c["compress_mb_s"],
                        "decompress": ours["decompress_mb_s"] / c["decompress_mb_s"],
                    }
                    rows.append(r)
                    print(f"{name:16} {codec:7} {clevel:>2} {nt:>3} | {ours['ratio']:6.3f} "
                          f"{c['ratio']:6.3f} {r['ratio']:6.3f} | {ours['compress_mb_s']:9.0f} "
                          f"{c['compress_mb_s']:6.0f} {r['compress']:5.2f} | "
                          f"{ours['decompress_mb_s']:8.0f} {c['decompress_mb_s']:6.0f} "
                          f"{r['decompress']:5.2f} | {ours['decompress_mb_s'] / memcpy:10.2f}",
                          flush=True)
    print()
    print("geometric means, ours / C-Blosc2:")
    for codec in codecs if len(codecs) > 1 else []:
        rc = [r for r in rows if r["codec"] == codec]
        print(f"  {codec:8} ratio {gmean([r['ratio'] for r in rc]):.3f}   compress "
              f"{gmean([r['compress'] for r in rc]):.2f}x   decompress "
              f"{gmean([r['decompress'] for r in rc]):.2f}x")
    print(f"  all      ratio {gmean([r['ratio'] for r in rows]):.3f}   "
          f"compress {gmean([r['compress'] for r in rows]):.2f}x   "
          f"decompress {gmean([r['decompress'] for r in rows]):.2f}x")
    one = [r for r in rows if r["codec"] == "lz4" and r["nthreads"] == 1]

    def median(xs):
        xs = sorted(xs)
        return (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2

    scales = (("memcpy_mb_s", "memcpy of the same size"),
              ("memcpy_64mib_mb_s", f"memcpy of 64 MiB ({big:.0f} MB/s)"))
    for key, what in scales if one else ():
        ours_x = median([r["ours"]["decompress_mb_s"] / r[key] for r in one])
        c_x = median([r["c"]["decompress_mb_s"] / r[key] for r in one])
        print(f"  lz4 one-thread decompression, median over channels: {ours_x:.2f}x {what} "
              f"(C-Blosc2: {c_x:.2f}x)")
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    plot(rows, out / "throughput.png")


def plot(rows, path):
    try:
        import matplotlib
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib==3.10.7"],
                       check=True)
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, key, title in ((axes[0], "compress_mb_s", "compression"),
                           (axes[1], "decompress_mb_s", "decompression")):
        labels, ours, cs = [], [], []
        for r in rows:
            if r["nthreads"] != 1:
                continue
            labels.append(f"{r['channel']}\n{r['codec']} {r['clevel']}")
            ours.append(r["ours"][key])
            cs.append(r["c"][key])
        x = np.arange(len(labels))
        ax.barh(x - 0.2, ours, 0.4, label="blockcodec (Rust)")
        ax.barh(x + 0.2, cs, 0.4, label="C-Blosc2 3.3.5")
        ax.set_yticks(x, labels, fontsize=6)
        ax.set_xlabel("MB/s (one thread, shuffle)")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
