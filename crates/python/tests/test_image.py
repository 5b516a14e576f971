"""Image: channels by name and index, names, metadata, statistics, file stubs."""

import numpy as np
import pytest

import compressed_image as ci
from conftest import DTYPES, sample, same_bits

W, H = 64, 48


def rgb(dtype=np.float32):
    return [sample(dtype, H, W, seed=s) for s in (1, 2, 3)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_from_arrays(dtype):
    planes = rgb(dtype)
    img = ci.Image(dtype, planes, W, H, ["R", "G", "B"], chunk_size=W * 16)
    assert len(img) == 3
    assert img.dtype == dtype
    assert (img.width, img.height) == (W, H)
    assert img.shape == (3, H, W)
    assert img.channel_names == ["R", "G", "B"]
    for i, name in enumerate("RGB"):
        assert same_bits(img[name].get_decompressed(), planes[i])
        assert same_bits(img[i].get_decompressed(), planes[i])
    assert same_bits(img[-1].get_decompressed(), planes[2])
    out = img.get_decompressed()
    assert out.shape == (3, H, W)
    assert same_bits(out, np.stack(planes))
    assert img["R"].num_chunks() == -(-H // (16 // np.dtype(dtype).itemsize or 1))


def test_compression_arguments_apply_to_arrays():
    img = ci.Image(
        np.uint16,
        rgb(np.uint16),
        W,
        H,
        compression_codec=ci.Codec.blosclz,
        compression_level=3,
        block_size=1024,
        chunk_size=W * 2 * 8,
    )
    for ch in img:
        assert ch.compression() == ci.Codec.blosclz
        assert ch.compression_level() == 3
        assert ch.block_size() == 1024
        assert ch.num_chunks() == 6


def test_channels_are_shared_not_copied():
    r = ci.Channel(sample(np.float32, H, W), W, H)
    img = ci.Image(np.float32, [r, sample(np.float32, H, W, seed=9)], W, H, ["R", "A"])
    assert img["R"] is r
    assert img[0] is r
    r.set_chunk(0, np.zeros(r.chunk_elems(0), np.float32))
    assert not img.get_decompressed()[0].any()
    img["A"].set_chunk(0, np.ones(img["A"].chunk_elems(0), np.float32))
    assert (img.get_decompressed()[1] == 1).all()


def test_unnamed_channels():
    img = ci.Image(np.uint8, rgb(np.uint8), W, H)
    assert img.channel_names == [None, None, None]
    assert "R" not in img
    with pytest.raises(KeyError, match='no channel "R"'):
        img["R"]
    img.channel_names = ["R", None, "B"]
    assert img.channel_names == ["R", None, "B"]
    assert "R" in img and "B" in img and "G" not in img
    assert img["B"] is img[2]


def test_lookup_errors():
    img = ci.Image(np.uint8, rgb(np.uint8), W, H, ["R", "G", "B"])
    with pytest.raises(KeyError):
        img["A"]
    with pytest.raises(IndexError, match="out of range"):
        img[3]
    with pytest.raises(IndexError):
        img[-4]
    with pytest.raises(TypeError, match="name"):
        img[1.5]
    assert 1 not in img


def test_constructor_checks():
    planes = rgb()
    with pytest.raises(ValueError, match="3 channel names for 2 channels"):
        ci.Image(np.float32, planes[:2], W, H, ["R", "G", "B"])
    with pytest.raises(ValueError, match="given twice"):
        ci.Image(np.float32, planes, W, H, ["R", "G", "R"])
    with pytest.raises(ValueError, match="channel 1: .*dtype float64, expected float32"):
        ci.Image(np.float32, [planes[0], planes[1].astype(np.float64)], W, H)
    with pytest.raises(ValueError, match="channel 0: .*needs"):
        ci.Image(np.float32, [planes[0].ravel()[:-1]], W, H)
    other = ci.Channel.zeros(np.float32, W + 1, H)
    with pytest.raises(ValueError, match="cannot join"):
        ci.Image(np.float32, [other], W, H)
    with pytest.raises(ValueError, match="dtype uint8, the image float32"):
        ci.Image(np.float32, [ci.Channel.zeros(np.uint8, W, H)], W, H)
    with pytest.raises(TypeError):
        ci.Image(np.float32, 5, W, H)


def test_empty_image():
    img = ci.Image(np.uint16, [], 8, 4)
    assert len(img) == 0
    assert img.shape == (0, 4, 8)
    assert img.get_decompressed().shape == (0, 4, 8)
    assert img.compression_ratio() == 1.0
    assert list(img) == []


def test_add_and_remove_channels():
    planes = rgb()
    img = ci.Image(np.float32, planes[:1], W, H, ["R"])
    assert img.add_channel(planes[1], "G") == 1
    b = ci.Channel(planes[2], W, H, compression_codec="blosclz")
    assert img.add_channel(b, name="B") == 2
    assert img.add_channel(ci.Channel.zeros(np.float32, W, H)) == 3
    assert img.channel_names == ["R", "G", "B", None]
    assert img["B"] is b
    with pytest.raises(ValueError, match='already has a channel "G"'):
        img.add_channel(planes[0], "G")
    with pytest.raises(ValueError, match="cannot join"):
        img.add_channel(ci.Channel.zeros(np.float32, W, H + 1), "X")
    with pytest.raises(ValueError, match=r"shape \(height, width\)"):
        img.add_channel(planes[0][:10], "X")
    with pytest.raises(ValueError, match="dtype"):
        img.add_channel(planes[0].astype(np.uint8), "X")
    assert len(img) == 4

    removed = img.remove_channel("G")
    assert same_bits(removed.get_decompressed(), planes[1])
    assert img.channel_names == ["R", "B", None]
    assert img.remove_channel(-1).compressed_bytes() == 4  # the lazy zeros channel
    assert img.remove_channel(1) is b
    assert img.channel_names == ["R"]
    with pytest.raises(KeyError):
        img.remove_channel("G")
    with pytest.raises(IndexError):
        img.remove_channel(5)
    assert len(img) == 1


def test_channel_names_setter_checks():
    img = ci.Image(np.uint8, rgb(np.uint8), W, H, ["R", "G", "B"])
    with pytest.raises(ValueError, match="2 channel names for 3 channels"):
        img.channel_names = ["X", "Y"]
    with pytest.raises(ValueError, match="given twice"):
        img.channel_names = ["X", "X", "Y"]
    with pytest.raises(TypeError):
        img.channel_names = "XYZ"
    assert img.channel_names == ["R", "G", "B"]
    img.channel_names = ["X", "Y", "Z"]
    assert img["Z"] is img[2]


def test_metadata():
    img = ci.Image(np.float32, rgb(), W, H, ["R", "G", "B"])
    assert img.get_metadata() == {}
    meta = {"z": 1, "a": [1, 2.5, None, True], "nested": {"s": "text", "e": {}}}
    img.set_metadata(meta)
    got = img.get_metadata()
    assert got == meta
    assert list(got) == ["z", "a", "nested"]  # insertion order is kept
    got["z"] = 2  # a copy
    assert img.get_metadata()["z"] == 1
    with pytest.raises(TypeError, match="dict"):
        img.set_metadata([("a", 1)])
    with pytest.raises(TypeError):
        img.set_metadata({"a": object()})
    with pytest.raises(ValueError):
        img.set_metadata({"a": float("nan")})
    assert img.get_metadata() == meta


def test_compression_ratio_and_statistics(capsys):
    planes = rgb(np.uint16)
    img = ci.Image(np.uint16, planes, W, H, ["R", "G", "B"], chunk_size=W * 2 * 16)
    img.add_channel(ci.Channel.zeros(np.uint16, W, H, chunk_size=W * 2 * 16), "mask")
    cbytes = sum(ch.compressed_bytes() for ch in img)
    assert img.compressed_bytes() == cbytes
    assert img.compression_ratio() == pytest.approx(4 * W * H * 2 / cbytes)
    img.print_statistics()
    out = capsys.readouterr().out
    assert f"Image {W}×{H} uint16, 4 channel(s)" in out
    for name in ("R", "G", "B", "mask", "lz4", "ratio", "total"):
        assert name in out
    mask_line = next(line for line in out.splitlines() if line.strip().startswith("mask"))
    assert mask_line.split()[5:8] == ["3", "3", "6"]  # chunks, lazy, compressed_bytes


def test_update_nthreads_on_every_channel():
    img = ci.Image(np.float32, rgb(), W, H)
    img.update_nthreads(3)
    assert [ch.nthreads() for ch in img] == [3, 3, 3]
    img.update_nthreads(2, block_size=1024)
    assert [(ch.nthreads(), ch.block_size()) for ch in img] == [(2, 1024)] * 3
    assert np.array_equal(img.get_decompressed(), np.stack(rgb()))


def test_iteration_and_channels_list():
    img = ci.Image(np.int8, rgb(np.int8), W, H, ["R", "G", "B"])
    assert [ch.dtype for ch in img] == [np.int8] * 3
    assert img.channels() == [img[0], img[1], img[2]]


def test_repr():
    img = ci.Image(np.float16, rgb(np.float16), W, H, ["R", None, "B"])
    assert repr(img) == 'Image(dtype=float16, width=64, height=48, channel_names=["R", None, "B"])'


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_conversion_to_the_rust_image_and_back(dtype):
    """The path Image.read / save / load will take (Rust Image<T> in and out)."""
    planes = rgb(dtype)
    img = ci.Image(dtype, planes[:2], W, H, ["R", None], compression_level=4, chunk_size=W * 8)
    img.add_channel(ci.Channel.full(dtype, 5, W, H, compression_codec="blosclz"), "F")
    img.set_metadata({"k": [1, "v"]})
    copy = img._rust_roundtrip()
    assert copy.dtype == dtype
    assert copy.shape == img.shape
    assert copy.channel_names == ["R", None, "F"]
    assert copy.get_metadata() == {"k": [1, "v"]}
    assert same_bits(copy.get_decompressed(), img.get_decompressed())
    assert [c.compression() for c in copy] == [ci.Codec.lz4, ci.Codec.lz4, ci.Codec.blosclz]
    assert copy[0].compression_level() == 4
    assert copy[2].compressed_bytes() == copy[2].num_chunks() * np.dtype(dtype).itemsize
    assert copy[0] is not img[0]  # a deep copy
    copy[0].set_chunk(0, np.zeros(copy[0].chunk_elems(0), dtype))
    assert same_bits(img[0].get_decompressed(), planes[0])


def test_file_function_arguments_are_checked_before_any_io(tmp_path):
    path = tmp_path / "missing.exr"  # never opened: every call fails on its arguments
    with pytest.raises(ValueError, match="unsupported dtype"):
        ci.Image.read(np.int64, path)
    with pytest.raises(TypeError, match="channels"):
        ci.Image.read(np.float32, path, channels="RGB")
    with pytest.raises(ValueError, match="subimage"):
        ci.Image.read(np.float32, path, subimage=-1)
    with pytest.raises(ValueError, match="compression_level"):
        ci.Image.read(np.float32, path, compression_level=10)
    img = ci.Image(np.float32, rgb(), W, H)
    with pytest.raises(ValueError, match="EXR compression"):
        img.write(path, exr_compression="best")
    assert not path.exists()
