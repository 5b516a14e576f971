#!/usr/bin/env python3
"""Live interop test: python-blosc2 reads the `.b2frame` files compressed-image saves.

    tools/setup-venv.sh && .venv/bin/python tools/image_interop.py --cimg target/debug/cimg

(a) Frames written by `Channel::save` / `Image::save` (crates/compressed-image/tests/persist.rs,
    test `export_frames_for_python`, run with COMPRESSED_IMAGE_EXPORT_DIR; needs cargo, or pass
    --export-dir with its output): one channel of every element type with lazy chunks (zero and
    non-zero fills, a short last chunk) and a two-channel image of two chunk layouts with
    metadata. python-blosc2 opens each with `blosc2.open` and `blosc2.schunk_from_cframe`; the
    vlmeta (format, version, kind, dtype, byteorder, width, height, channels, metadata) is as
    documented in docs/persistence.md; each channel rebuilt from its chunk range equals the
    values the test wrote; lazy chunks are stored as Blosc2 special chunks.
(b) With --cimg: `cimg import data/astronaut.png` writes an image frame whose R, G, B channels
    equal data/astronaut-512x512.rgb; a frame python writes in the documented layout
    (LZ4 chunks made by C-Blosc2, a special zeros chunk and a repeated-value chunk) is
    exported by `cimg export` to TIFF and imported back, and equals python's values.
Ends with the line `image-interop: N passed, M failed`; exits 1 if anything failed.
"""

import os

for _k in [k for k in os.environ if k.startswith("BLOSC")]:
    os.environ.pop(_k)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import blosc2  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 600
PINS = {"blosc2": "4.14.1"}


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


def channel_array(sc, vl, index):
    """Channel `index` of a saved frame as a (height, width) array, per docs/persistence.md."""
    ch = vl["channels"][index]
    first, n = ch["first_chunk"], ch["nchunks"]
    data = b"".join(sc.decompress_chunk(i) for i in range(first, first + n))
    return np.frombuffer(data, dtype=vl["dtype"]).reshape(vl["height"], vl["width"])


def check_frame(t, export_dir, entry):
    path = export_dir / entry["file"]
    for how, opener in [
        ("open", lambda: blosc2.open(str(path))),
        ("cframe", lambda: blosc2.schunk_from_cframe(path.read_bytes(), copy=True)),
    ]:
        name = f"{entry['file']} ({how})"

        def vlmeta(opener=opener):
            sc = opener()
            vl = sc.vlmeta
            got = {k: vl[k] for k in ["format", "version", "kind", "dtype", "byteorder",
                                      "width", "height"]}
            want = {"format": "compressed-image", "version": 1, "kind": entry["kind"],
                    "dtype": entry["dtype"], "byteorder": sys.byteorder,
                    "width": entry["width"], "height": entry["height"]}
            if got != want:
                return False, f"vlmeta {got} != {want}"
            names = [c["name"] for c in vl["channels"]]
            if names != entry["names"]:
                return False, f"channel names {names} != {entry['names']}"
            meta = json.loads(vl["metadata"])
            if meta != entry["metadata"] or list(meta) != list(entry["metadata"]):
                return False, f"metadata {meta} != {entry['metadata']}"
            total = sum(c["nchunks"] for c in vl["channels"])
            if total != sc.nchunks:
                return False, f"{total} chunks listed, frame has {sc.nchunks}"
            return True, ""

        def values(opener=opener):
            sc = opener()
            vl = sc.vlmeta
            for i, raw in enumerate(entry["raw"]):
                want = np.fromfile(export_dir / raw, dtype=entry["dtype"])
                got = channel_array(sc, vl, i)
                if got.shape != (entry["height"], entry["width"]):
                    return False, f"channel {i} shape {got.shape}"
                # Bitwise: floats hold NaNs and signed zeros.
                if got.tobytes() != want.tobytes():
                    bad = np.flatnonzero(got.reshape(-1).view(np.uint8)
                                         != want.view(np.uint8))
                    return False, f"channel {i} differs from byte {bad[:5]}"
            return True, ""

        def lazy(opener=opener):
            sc = opener()
            itemsize = np.dtype(entry["dtype"]).itemsize
            for i in entry.get("lazy", []):
                n = len(sc.get_chunk(i))
                if n > 32 + itemsize:
                    return False, f"lazy chunk {i} is stored as {n} bytes, not a special chunk"
            return True, ""

        t.run(f"{name}: vlmeta", vlmeta)
        t.run(f"{name}: values", values)
        t.run(f"{name}: lazy chunks are special chunks", lazy)


def export_frames(export_dir):
    env = dict(os.environ, COMPRESSED_IMAGE_EXPORT_DIR=str(export_dir))
    r = subprocess.run(
        ["cargo", "test", "-q", "-p", "compressed-image", "--test", "persist",
         "export_frames_for_python"],
        cwd=REPO, env=env, capture_output=True, timeout=TIMEOUT, text=True)
    if r.returncode != 0:
        raise SystemExit(f"image-interop: exporting frames failed:\n{r.stdout}\n{r.stderr}")


def cimg(exe, *args):
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, timeout=TIMEOUT,
                          text=True)


def check_cimg(t, exe, tmp):
    def astronaut():
        out = tmp / "astronaut.b2frame"
        r = cimg(exe, "import", REPO / "data/astronaut.png", "-o", out)
        if r.returncode != 0:
            return False, r.stderr
        sc = blosc2.open(str(out))
        vl = sc.vlmeta
        names = [c["name"] for c in vl["channels"]]
        if (vl["dtype"], vl["width"], vl["height"], names) != ("uint8", 512, 512,
                                                              ["R", "G", "B"]):
            return False, f"{vl['dtype']} {vl['width']}x{vl['height']} {names}"
        rgb = np.fromfile(REPO / "data/astronaut-512x512.rgb", dtype=np.uint8)
        rgb = rgb.reshape(512, 512, 3)
        for i in range(3):
            if not np.array_equal(channel_array(sc, vl, i), rgb[:, :, i]):
                return False, f"channel {names[i]} differs"
        return True, ""

    def python_written():
        # A u16 image in the documented layout, written by python-blosc2 (C-Blosc2 chunks).
        w, h, rows = 70, 48, 8
        nbytes = w * 2 * rows
        rng = np.random.default_rng(5)
        planes = [rng.integers(0, 65535, size=(h, w), dtype=np.uint16) for _ in range(3)]
        planes[0][8:16] = 0      # chunk 1 of channel 0: a special zeros chunk
        planes[1][16:24] = 4242  # chunk 2 of channel 1: a repeated-value chunk

        def special(kind, value=None):
            one = blosc2.SChunk(chunksize=nbytes, cparams={"typesize": 2})
            one.fill_special(w * rows, kind, value)
            return one.get_chunk(0)

        cparams = {"codec": blosc2.Codec.LZ4, "clevel": 5, "typesize": 2}
        sc = blosc2.SChunk(chunksize=nbytes, cparams=cparams)
        entries = []
        for c, plane in enumerate(planes):
            first = sc.nchunks
            for y in range(0, h, rows):
                if (c, y) == (0, 8):
                    sc.append_chunk(special(blosc2.SpecialValue.ZERO))
                elif (c, y) == (1, 16):
                    sc.append_chunk(special(blosc2.SpecialValue.VALUE, np.uint16(4242)))
                else:
                    sc.append_data(np.ascontiguousarray(plane[y:y + rows]))
            entries.append({"name": "RGB"[c], "first_chunk": first,
                            "nchunks": sc.nchunks - first, "chunk_rows": rows,
                            "codec": "lz4", "clevel": 5, "filter": "shuffle",
                            "block_size": 0, "chunk_size": nbytes})
        for k, v in [("format", "compressed-image"), ("version", 1), ("kind", "image"),
                     ("dtype", "uint16"), ("byteorder", sys.byteorder), ("width", w),
                     ("height", h), ("channels", entries), ("metadata", "{\"by\": \"python\"}")]:
            sc.vlmeta[k] = v
        src = tmp / "python.b2frame"
        src.write_bytes(sc.to_cframe())
        tif = tmp / "python.tif"
        r = cimg(exe, "export", src, "-o", tif)
        if r.returncode != 0:
            return False, f"export: {r.stderr}"
        back = tmp / "python-back.b2frame"
        r = cimg(exe, "import", tif, "-o", back)
        if r.returncode != 0:
            return False, f"import: {r.stderr}"
        sc2 = blosc2.open(str(back))
        vl = sc2.vlmeta
        if vl["dtype"] != "uint16" or (vl["width"], vl["height"]) != (w, h):
            return False, f"{vl['dtype']} {vl['width']}x{vl['height']}"
        for i in range(3):
            if not np.array_equal(channel_array(sc2, vl, i), planes[i]):
                return False, f"channel {i} differs after export/import"
        return True, ""

    t.run("cimg import astronaut.png: python reads R, G, B", astronaut)
    t.run("python-written frame: cimg export to TIFF, import back", python_written)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--export-dir", type=Path, help="output of export_frames_for_python")
    ap.add_argument("--cimg", type=Path, help="cimg binary (enables the CLI checks)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    for pkg, want in PINS.items():
        got = getattr(sys.modules[pkg], "__version__", "?")
        if got != want:
            print(f"image-interop: {pkg} {got} is not the pinned {want}", file=sys.stderr)
    t = Tally(args.verbose)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export_dir = args.export_dir
        if export_dir is None:
            export_dir = tmp / "export"
            export_frames(export_dir)
        manifest = json.loads((export_dir / "manifest.json").read_text())
        t.check("manifest lists frames", len(manifest) >= 10, f"{len(manifest)} entries")
        for entry in manifest:
            check_frame(t, export_dir, entry)
        if args.cimg:
            check_cimg(t, args.cimg.resolve(), tmp)
    print(f"image-interop: {t.passed} passed, {t.failed} failed")
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
