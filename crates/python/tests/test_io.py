"""Image files and persistence: Image.read / write / save / load, dtype_from_file, and
changing a channel's block size."""

import errno
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import compressed_image as ci
from conftest import DTYPES, sample, same_bits
from test_threads import progress_during

REPO = Path(__file__).resolve().parents[3]
# The OpenEXR sample images the Rust crate's tests use (BSD-3-Clause, see LICENSE there).
EXR = REPO / "crates" / "compressed-image" / "tests" / "data" / "exr"
ASTRONAUT_PNG = REPO / "data" / "astronaut.png"
ASTRONAUT_RGB = REPO / "data" / "astronaut-512x512.rgb"  # the same pixels, raw interleaved RGB

# From the `exr` crate's full read of each file (an independent decoder): width, height,
# channel names in file order, CRC-32 of every channel's float16 bits (little-endian, channels
# in file order), and each channel's value at pixel (width // 3, height // 2).
SAMPLES = {
    "Beachball_singlepart.0004.exr": (
        915,
        870,
        ["A", "B", "G", "R", "Z", "disparityL.x", "disparityL.y", "disparityR.x",
         "disparityR.y", "forward.left.u", "forward.left.v", "forward.right.u",
         "forward.right.v", "left.A", "left.B", "left.G", "left.R", "left.Z",
         "whitebarmask.left.mask", "whitebarmask.right.mask"],
        0xB0F76640,
        [1.0, 0.5, 0.0, 0.0, 9.09375, 36.65625, 7.402897e-5, -36.5, -1.8715858e-5, 42.78125,
         35.25, 42.96875, 35.40625, 1.0, 0.5, 0.0, 0.0, 9.1328125, 0.0, 0.0],
    ),
    "LuminanceChroma_Garden.exr": (874, 493, ["Y"], 0xD31BEE12, [0.06726074]),
    "MultiResolution_ColorCodedLevels.exr": (
        512, 512, ["A", "B", "G", "R"], 0xCAD26DEC, [1.0, 0.49975586, 0.49975586, 0.49975586],
    ),
    "ScanLines_Cannon.exr": (780, 566, ["B", "G", "R"], 0x1AF56E05,
                             [0.41625977, 0.4506836, 0.51123047]),
    "ScanLines_Carrots.exr": (600, 400, ["A", "B", "G", "R"], 0x2C630D76,
                              [0.0, 0.04348755, 0.10168457, 0.19372559]),
    "TestImages_AllHalfValues.exr": (256, 256, ["B", "G", "R"], 0x17CC88EE,
                                     [-5.066395e-6, -5.066395e-6, -5.066395e-6]),
    "TestImages_GrayRampsHorizontal.exr": (800, 800, ["Y"], 0x0293E494, [0.09082031]),
}
BEACHBALL = EXR / "Beachball_singlepart.0004.exr"
CARROTS = EXR / "ScanLines_Carrots.exr"
RAMPS = EXR / "TestImages_GrayRampsHorizontal.exr"


def crc(array):
    return zlib.crc32(np.ascontiguousarray(array).tobytes())


def astronaut_planes():
    raw = np.fromfile(ASTRONAUT_RGB, dtype=np.uint8).reshape(512, 512, 3)
    return np.moveaxis(raw, 2, 0)  # (channels, height, width)


def check_exr_sample(img, name):
    width, height, names, checksum, pixel = SAMPLES[name]
    assert (img.width, img.height, len(img)) == (width, height, len(names))
    assert img.channel_names == names
    planes = img.get_decompressed()
    assert planes.shape == (len(names), height, width)
    assert crc(planes.astype("<f2")) == checksum
    assert planes[:, height // 2, width // 3].astype(np.float32).tolist() == pytest.approx(
        pixel, rel=1e-6
    )


# ---------------------------------------------------------------------------------------------
# Image.read


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_exr_samples_equal_an_independent_decoder(name):
    img = ci.Image.read(np.float16, EXR / name)
    assert img.dtype == np.float16
    check_exr_sample(img, name)
    # Small chunks: strips straddle the file's scanline blocks and tiles.
    small = ci.Image.read(np.float16, str(EXR / name), chunk_size=10_000)
    assert small[0].num_chunks() > 1
    check_exr_sample(small, name)


@pytest.mark.parametrize("name", ["TestImages_AllHalfValues.exr", "ScanLines_Carrots.exr"])
def test_exr_half_to_wider_floats_converts_by_value(name):
    half = ci.Image.read(np.float16, EXR / name).get_decompressed()
    for dtype in (np.float32, np.float64):
        wide = ci.Image.read(dtype, EXR / name).get_decompressed()
        assert wide.dtype == dtype
        assert np.array_equal(wide, half.astype(dtype), equal_nan=True)


def test_all_half_values_survive_bit_for_bit():
    img = ci.Image.read(np.float16, EXR / "TestImages_AllHalfValues.exr")
    bits = img.get_decompressed().view(np.uint16)
    assert len(np.unique(bits)) == 1 << 16  # every half value, NaNs and infinities included


def test_exr_to_integer_dtypes_scales_to_the_full_range():
    ramp = ci.Image.read(np.float32, RAMPS).get_decompressed()[0].astype(np.float64)
    for dtype in (np.uint8, np.uint16):
        top = np.iinfo(dtype).max
        got = ci.Image.read(dtype, RAMPS).get_decompressed()[0]
        assert got.dtype == dtype
        expected = np.clip(np.rint(np.nan_to_num(ramp) * top), 0, top)
        assert np.abs(got.astype(np.int64) - expected.astype(np.int64)).max() <= 1
        assert got.max() > top // 2  # the ramp really is scaled, not truncated to 0/1


def test_png_reads_exactly():
    planes = astronaut_planes()
    img = ci.Image.read(np.uint8, ASTRONAUT_PNG)
    assert img.channel_names == ["R", "G", "B"]
    assert img.shape == (3, 512, 512)
    assert np.array_equal(img.get_decompressed(), planes)
    as_u16 = ci.Image.read(np.uint16, ASTRONAUT_PNG).get_decompressed()
    assert np.array_equal(as_u16, planes.astype(np.uint16) * 257)
    as_f32 = ci.Image.read(np.float32, ASTRONAUT_PNG).get_decompressed()
    assert np.array_equal(as_f32, (planes / 255.0).astype(np.float32))


def test_read_uses_the_compression_arguments():
    img = ci.Image.read(
        np.float16,
        BEACHBALL,
        channels=["R", "G"],
        compression_codec=ci.Codec.blosclz,
        compression_level=3,
        block_size=4096,
        chunk_size=100_000,
    )
    rows = 100_000 // (915 * 2)
    for ch in img:
        assert ch.compression() == ci.Codec.blosclz
        assert ch.compression_level() == 3
        assert ch.block_size() == 4096
        assert ch.chunk_size() == rows * 915 * 2
        assert ch.num_chunks() == -(-870 // rows)


def test_read_stores_the_file_attributes_as_metadata():
    meta = ci.Image.read(np.float16, BEACHBALL, channels=["Z"]).get_metadata()
    assert meta["dataWindow"] == [968, 451, 1882, 1320]
    assert meta["displayWindow"] == [0, 0, 2047, 1555]
    assert meta["multiView"] == ["right", "left"]


def test_channel_selection_by_name_and_index():
    full = ci.Image.read(np.float16, BEACHBALL)
    by_name = ci.Image.read(np.float16, BEACHBALL, 0, ["Z", "R", "left.A"])
    assert by_name.channel_names == ["Z", "R", "left.A"]
    for name in by_name.channel_names:
        assert same_bits(by_name[name].get_decompressed(), full[name].get_decompressed())
    by_index = ci.Image.read(np.float16, BEACHBALL, channels=[3, 0, -1])
    assert by_index.channel_names == ["R", "A", "whitebarmask.right.mask"]
    assert same_bits(by_index[2].get_decompressed(), full[19].get_decompressed())
    png = ci.Image.read(np.uint8, ASTRONAUT_PNG, channels=("B", "R"))
    assert png.channel_names == ["B", "R"]
    assert np.array_equal(png.get_decompressed(), astronaut_planes()[[2, 0]])


def test_selection_and_subimage_errors():
    with pytest.raises(ValueError, match='no channel "nope"'):
        ci.Image.read(np.float16, BEACHBALL, channels=["R", "nope"])
    with pytest.raises(ValueError, match="twice"):
        ci.Image.read(np.float16, BEACHBALL, channels=["R", "R"])
    with pytest.raises(ValueError, match="twice"):
        ci.Image.read(np.float16, BEACHBALL, channels=[3, -17])
    with pytest.raises(IndexError, match="channel index 20"):
        ci.Image.read(np.float16, BEACHBALL, channels=[20])
    with pytest.raises(IndexError, match="channel index -21"):
        ci.Image.read(np.float16, BEACHBALL, channels=[-21])
    with pytest.raises(IndexError, match="channel index 3"):
        ci.Image.read(np.uint8, ASTRONAUT_PNG, channels=[3])
    with pytest.raises(IndexError, match="subimage 1"):
        ci.Image.read(np.float16, BEACHBALL, subimage=1)
    with pytest.raises(IndexError, match="subimage 1"):
        ci.Image.read(np.uint8, ASTRONAUT_PNG, 1)
    with pytest.raises(ValueError, match="empty"):
        ci.Image.read(np.float16, BEACHBALL, channels=[])
    with pytest.raises(TypeError, match="channels"):
        ci.Image.read(np.float16, BEACHBALL, channels="RGB")
    with pytest.raises(TypeError, match="channels"):
        ci.Image.read(np.float16, BEACHBALL, channels=["R", 0])
    with pytest.raises(ValueError, match="subimage"):
        ci.Image.read(np.float16, BEACHBALL, subimage=-1)


def test_missing_and_unreadable_files_are_os_errors(tmp_path):
    missing = tmp_path / "missing.exr"
    for call in (
        lambda: ci.Image.read(np.float32, missing),
        lambda: ci.Image.load(missing),
        lambda: ci.Image.dtype_from_file(missing),
        lambda: ci.Image.dtypes_from_file(str(missing)),
    ):
        with pytest.raises(FileNotFoundError) as info:
            call()
        assert info.value.errno == errno.ENOENT
        assert info.value.filename == str(missing)
    with pytest.raises(IsADirectoryError):
        ci.Image.read(np.float32, tmp_path)


def test_damaged_and_foreign_files_are_value_errors(tmp_path):
    damaged = sorted(p for p in (EXR / "damaged").iterdir() if p.suffix != ".rst")
    assert len(damaged) == 9
    for path in damaged:
        with pytest.raises(ValueError):
            ci.Image.read(np.float32, path)
    good = RAMPS.read_bytes()
    for length in (len(good) // 2, len(good) - 1, 20):
        truncated = tmp_path / f"truncated-{length}.exr"
        truncated.write_bytes(good[:length])
        with pytest.raises(ValueError):
            ci.Image.read(np.float32, truncated)
    with pytest.raises(ValueError, match="not an EXR, PNG, TIFF, JPEG"):
        ci.Image.read(np.float32, EXR / "LICENSE")
    with pytest.raises(ValueError, match="not an EXR, PNG, TIFF, JPEG"):
        ci.Image.dtype_from_file(EXR / "LICENSE")
    frame = tmp_path / "saved.b2frame"
    ci.Image(np.uint8, [np.zeros((4, 4), np.uint8)], 4, 4).save(frame)
    with pytest.raises(ValueError, match="Image.load"):
        ci.Image.read(np.uint8, frame)


def test_dtype_from_file():
    assert ci.Image.dtype_from_file(BEACHBALL) == np.float16
    assert ci.Image.dtypes_from_file(BEACHBALL) == [np.dtype(np.float16)] * 20
    assert ci.Image.dtype_from_file(ASTRONAUT_PNG) == np.uint8
    assert ci.Image.dtypes_from_file(ASTRONAUT_PNG) == [np.dtype(np.uint8)] * 3


def test_gil_is_released_while_reading():
    assert progress_during(lambda: ci.Image.read(np.float32, BEACHBALL)) > 0


# ---------------------------------------------------------------------------------------------
# save / load


def mixed_image(dtype):
    """Three channels with different compression parameters, one unnamed and one lazy."""
    w, h = 97, 61
    img = ci.Image(
        dtype,
        [sample(dtype, h, w), sample(dtype, h, w, seed=1)],
        w,
        h,
        ["R", None],
        compression_level=4,
        block_size=4096,
        chunk_size=w * np.dtype(dtype).itemsize * 7,
    )
    img.add_channel(
        ci.Channel.full(dtype, 3, w, h, compression_codec=ci.Codec.blosclz, chunk_size=1000),
        "lazy",
    )
    img.set_metadata({"k": [1, "v", {"x": 1.5}], "unicode": "grün", "none": None})
    return img


def channel_params(ch):
    return (
        ch.dtype,
        ch.shape,
        ch.compression(),
        ch.compression_level(),
        ch.block_size(),
        ch.chunk_size(),
        ch.num_chunks(),
        ch.compressed_bytes(),
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_save_load_roundtrip(dtype, tmp_path):
    img = mixed_image(dtype)
    path = tmp_path / "image.b2frame"
    img.save(path)
    assert path.read_bytes()[2:10] == b"b2frame\0"  # a Blosc2 contiguous frame
    back = ci.Image.load(path)
    assert back.dtype == dtype
    assert back.shape == img.shape
    assert back.channel_names == ["R", None, "lazy"]
    assert back.get_metadata() == {"k": [1, "v", {"x": 1.5}], "unicode": "grün", "none": None}
    assert same_bits(back.get_decompressed(), img.get_decompressed())
    assert [channel_params(c) for c in back] == [channel_params(c) for c in img]
    assert back["lazy"].compressed_bytes() == back["lazy"].num_chunks() * np.dtype(dtype).itemsize
    assert [c.nthreads() for c in back] == [1, 1, 1]
    # The loaded image is independent of the file and of the original.
    path.unlink()
    back[0].set_chunk(0, np.zeros(back[0].chunk_elems(0), dtype))
    assert same_bits(img[0].get_decompressed(), sample(dtype, 61, 97))


def test_save_accepts_str_paths_and_overwrites_atomically(tmp_path):
    path = tmp_path / "x.b2frame"
    ci.Image(np.uint16, [np.ones((8, 8), np.uint16)], 8, 8, ["a"]).save(str(path))
    ci.Image(np.uint16, [np.full((8, 8), 7, np.uint16)], 8, 8, ["b"]).save(path)
    back = ci.Image.load(str(path))
    assert back.channel_names == ["b"]
    assert (back[0].get_decompressed() == 7).all()
    assert os.listdir(tmp_path) == ["x.b2frame"]  # no temporary files left


def test_read_then_save_keeps_pixels_and_file_metadata(tmp_path):
    img = ci.Image.read(np.float16, BEACHBALL, channels=["R", "Z"], chunk_size=1 << 16)
    img.save(tmp_path / "beachball.b2frame")
    back = ci.Image.load(tmp_path / "beachball.b2frame")
    assert back.get_metadata() == img.get_metadata()
    assert back.get_metadata()["dataWindow"] == [968, 451, 1882, 1320]
    assert same_bits(back.get_decompressed(), img.get_decompressed())
    assert back[0].num_chunks() == img[0].num_chunks() > 1


def test_save_and_load_errors(tmp_path):
    img = ci.Image(np.float32, [np.zeros((4, 4), np.float32)], 4, 4)
    with pytest.raises(FileNotFoundError) as info:
        img.save(tmp_path / "no" / "such" / "dir.b2frame")
    assert info.value.errno == errno.ENOENT
    with pytest.raises(IsADirectoryError):
        img.save(tmp_path)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError):
        ci.Image.load(ASTRONAUT_PNG)
    garbage = tmp_path / "garbage.b2frame"
    garbage.write_bytes(b"\x00" * 1000)
    with pytest.raises(ValueError):
        ci.Image.load(garbage)
    good = tmp_path / "good.b2frame"
    mixed_image(np.float32).save(good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.b2frame"
    for length in (len(data) // 2, len(data) - 1):
        truncated.write_bytes(data[:length])
        with pytest.raises(ValueError):
            ci.Image.load(truncated)


def test_gil_is_released_while_saving_and_loading(tmp_path):
    data = sample(np.float32, 2048, 2048)
    img = ci.Image(np.float32, [data, data], 2048, 2048)
    path = tmp_path / "big.b2frame"
    assert progress_during(lambda: img.save(path)) > 0
    assert progress_during(lambda: ci.Image.load(path)) > 0


# ---------------------------------------------------------------------------------------------
# write


def test_write_png_and_tiff_roundtrip(tmp_path):
    planes = astronaut_planes()
    img = ci.Image(np.uint8, list(planes), 512, 512, ["R", "G", "B"])
    img.write(tmp_path / "a.png")
    back = ci.Image.read(np.uint8, tmp_path / "a.png")
    assert back.channel_names == ["R", "G", "B"]
    assert np.array_equal(back.get_decompressed(), planes)
    wide = [sample(np.uint16, 50, 70, seed=s) * 300 for s in range(3)]
    for channels, names, file in ((wide, ["R", "G", "B"], "c.tif"), (wide[:2], ["Y", "A"], "g.png")):
        img16 = ci.Image(np.uint16, channels, 70, 50, names)
        img16.write(str(tmp_path / file))
        assert ci.Image.dtypes_from_file(tmp_path / file) == [np.dtype(np.uint16)] * len(names)
        back16 = ci.Image.read(np.uint16, tmp_path / file)
        assert back16.channel_names == names
        assert np.array_equal(back16.get_decompressed(), np.stack(channels))


@pytest.mark.parametrize("compression", [None, "none", "rle", "zips", "zip", "piz", "PXR24"])
def test_write_exr_roundtrip(compression, tmp_path):
    h, w = 45, 67
    halves = [sample(np.float16, h, w, seed=s) for s in range(3)]
    img = ci.Image(np.float16, halves, w, h, ["R", "G", "B"], chunk_size=w * 2 * 10)
    img.set_metadata({"owner": "test"})
    path = tmp_path / "out.exr"
    img.write(path, exr_compression=compression)
    back = ci.Image.read(np.float16, path)
    assert back.channel_names == ["B", "G", "R"]  # EXR sorts channels by name
    assert back.get_metadata()["owner"] == "test"
    for name in "RGB":
        assert same_bits(back[name].get_decompressed(), img[name].get_decompressed())


@pytest.mark.parametrize("dtype", [np.float32, np.uint32])
def test_write_exr_keeps_float32_and_uint32(dtype, tmp_path):
    data = sample(dtype, 30, 40) * 1000
    img = ci.Image(dtype, [data], 40, 30, ["id"])
    img.write(tmp_path / "x.exr", "zip")
    assert ci.Image.dtype_from_file(tmp_path / "x.exr") == dtype
    assert same_bits(ci.Image.read(dtype, tmp_path / "x.exr")[0].get_decompressed(), data)


def test_write_b2frame_is_save(tmp_path):
    img = mixed_image(np.int16)
    img.write(tmp_path / "x.b2frame")
    back = ci.Image.load(tmp_path / "x.b2frame")
    assert back.channel_names == img.channel_names
    assert same_bits(back.get_decompressed(), img.get_decompressed())


def test_write_errors(tmp_path):
    img = ci.Image(np.uint8, [np.zeros((4, 4), np.uint8)] * 5, 4, 4)
    with pytest.raises(ValueError, match="extension"):
        img.write(tmp_path / "x.bmp")
    with pytest.raises(ValueError, match="extension"):
        img.write(tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="EXR compression"):
        img.write(tmp_path / "x.exr", exr_compression="lzma")
    with pytest.raises(ValueError):
        img.write(tmp_path / "x.png")  # five channels
    with pytest.raises(ValueError):
        ci.Image(np.uint8, [], 4, 4).write(tmp_path / "x.exr")
    with pytest.raises(FileNotFoundError):
        img.write(tmp_path / "missing" / "x.exr")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Threads


def test_threaded_reads_saves_and_loads(tmp_path):
    names = ["ScanLines_Cannon.exr", "ScanLines_Carrots.exr", "TestImages_GrayRampsHorizontal.exr",
             "LuminanceChroma_Garden.exr"]

    def job(k):
        name = names[k % len(names)]
        img = ci.Image.read(np.float16, EXR / name, chunk_size=1 << 15)
        path = tmp_path / f"{k}.b2frame"
        img.save(path)
        back = ci.Image.load(path)
        check_exr_sample(back, name)
        return crc(back.get_decompressed())

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, range(12)))
    assert results == [SAMPLES[names[k % len(names)]][3] for k in range(12)]


# ---------------------------------------------------------------------------------------------
# update_nthreads with a new block size


def test_channel_block_size_change_recompresses(tmp_path):
    data = sample(np.float32, 256, 256)
    ch = ci.Channel(data, 256, 256, block_size=32768, chunk_size=256 * 4 * 64)
    ch.set_chunk(1, np.zeros(ch.chunk_elems(1), np.float32))  # one lazy chunk
    before = ch.compressed_bytes()
    ch.update_nthreads(2, 256)
    assert ch.block_size() == 256
    assert ch.nthreads() == 2
    assert ch.compressed_bytes() != before  # the chunks really were recompressed
    expected = data.copy()
    expected[64:128] = 0
    assert np.array_equal(ch.get_decompressed(), expected)
    # Chunks written later use the new size; it is saved and loaded with the image.
    ch.set_chunk(1, data[64:128])
    assert np.array_equal(ch.get_decompressed(), data)
    img = ci.Image(np.float32, [ch], 256, 256)
    img.save(tmp_path / "c.b2frame")
    assert ci.Image.load(tmp_path / "c.b2frame")[0].block_size() == 256
    # Back to the original size gives the original chunks; None keeps the size.
    ch.update_nthreads(1, 32768)
    assert ch.compressed_bytes() == ci.Channel(data, 256, 256, chunk_size=256 * 4 * 64).compressed_bytes()
    ch.update_nthreads(3)
    assert (ch.block_size(), ch.nthreads()) == (32768, 3)
    # A lazy channel stays lazy.
    lazy = ci.Channel.zeros(np.uint16, 100, 100)
    lazy.update_nthreads(1, 1024)
    assert lazy.block_size() == 1024
    assert lazy.compressed_bytes() == lazy.num_chunks() * 2


def test_image_block_size_change_covers_every_channel_once():
    planes = [sample(np.int16, 64, 80, seed=s) for s in range(2)]
    img = ci.Image(np.int16, planes, 80, 64, ["a", "b"], chunk_size=80 * 2 * 8)
    img.add_channel(img["a"], "a-again")  # one channel listed twice
    img.update_nthreads(2, 512)
    assert [c.block_size() for c in img] == [512, 512, 512]
    assert [c.nthreads() for c in img] == [2, 2, 2]
    assert np.array_equal(img.get_decompressed(), np.stack([planes[0], planes[1], planes[0]]))


def test_concurrent_image_block_size_changes_do_not_deadlock():
    chans = [ci.Channel(sample(np.float32, 64, 64, seed=s), 64, 64, chunk_size=64 * 4 * 4)
             for s in range(4)]
    first = ci.Image(np.float32, chans, 64, 64)
    second = ci.Image(np.float32, chans[::-1], 64, 64)

    def churn(img):
        for size in (1024, 2048, 4096) * 5:
            img.update_nthreads(1, size)
        return True

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(churn, first), pool.submit(churn, second)]
        assert all(f.result(timeout=120) for f in futures)
    assert len({c.block_size() for c in chans}) == 1
    for s, c in enumerate(chans):
        assert np.array_equal(c.get_decompressed(), sample(np.float32, 64, 64, seed=s))
