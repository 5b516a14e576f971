"""Regenerates data/ from the scikit-image wheel (public-domain sample photos).

    python3 -m venv /tmp/sv && /tmp/sv/bin/pip install scikit-image==0.25.2 pillow
    /tmp/sv/bin/python tools/make_sample_data.py

Writes data/astronaut.png (the wheel's file, unchanged) and data/astronaut-512x512.rgb
(its pixels as interleaved 8-bit RGB, row-major), which `cimg bench` reads without an image
decoder. Provenance and licence: data/README.md.
"""
import pathlib
import shutil

import numpy as np
import skimage
from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent / "data"
src = pathlib.Path(skimage.__file__).parent / "data" / "astronaut.png"
shutil.copyfile(src, root / "astronaut.png")
pixels = np.asarray(Image.open(src).convert("RGB"), dtype=np.uint8)
assert pixels.shape == (512, 512, 3), pixels.shape
(root / "astronaut-512x512.rgb").write_bytes(pixels.tobytes())
print("wrote", root / "astronaut.png", "and", root / "astronaut-512x512.rgb")
