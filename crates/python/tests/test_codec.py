"""The Codec enum and what each codec can do in this build."""

import numpy as np
import pytest

import compressed_image as ci
from conftest import CODECS, sample

EXPECTED = {"blosclz": 0, "lz4": 1, "lz4hc": 2, "zlib": 4, "zstd": 5}


def test_members_names_and_values():
    assert {c.name: c.value for c in CODECS} == EXPECTED
    for name, value in EXPECTED.items():
        codec = getattr(ci.Codec, name)
        assert codec.name == name
        assert codec.value == value
        assert int(codec) == value
        assert repr(codec) == f"Codec.{name}"
    assert ci.Codec.lz4 == ci.Codec.lz4
    assert ci.Codec.lz4 != ci.Codec.zstd
    assert len({c: None for c in CODECS}) == 5  # hashable


def test_can_compress_takes_members_and_names():
    # LZ4 and BloscLZ compress in every build.
    assert ci._can_compress(ci.Codec.lz4)
    assert ci._can_compress(ci.Codec.blosclz)
    for codec in CODECS:
        assert ci._can_compress(codec) == ci._can_compress(codec.name)
        assert ci._can_compress(codec) == ci._can_compress(codec.name.upper())
    with pytest.raises(ValueError, match="unknown codec"):
        ci._can_compress("snappy")
    with pytest.raises(TypeError):
        ci._can_compress(1)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_every_codec_compresses_or_raises_value_error(codec):
    data = sample(np.uint16, 64, 100)
    make = [
        lambda c: ci.Channel(data, 100, 64, compression_codec=c),
        lambda c: ci.Channel.zeros(np.uint16, 100, 64, compression_codec=c),
        lambda c: ci.Channel.full(np.uint16, 7, 100, 64, compression_codec=c),
        lambda c: ci.Image(np.uint16, [data], 100, 64, compression_codec=c)[0],
    ]
    if ci._can_compress(codec):
        for build in make:
            for spelling in (codec, codec.name):
                ch = build(spelling)
                assert ch.compression() == codec
        ch = ci.Channel(data, 100, 64, compression_codec=codec, chunk_size=100 * 2 * 10)
        assert np.array_equal(ch.get_decompressed(), data)
        ch.set_chunk(2, np.arange(1000, dtype=np.uint16))
        assert np.array_equal(ch.get_chunk(2), np.arange(1000, dtype=np.uint16))
    else:
        for build in make:
            with pytest.raises(ValueError, match=codec.name):
                build(codec)


@pytest.mark.parametrize("level", range(10))
def test_every_level_roundtrips(level):
    data = sample(np.float32, 40, 50)
    ch = ci.Channel(data, 50, 40, compression_level=level, chunk_size=50 * 4 * 8)
    assert ch.compression_level() == level
    assert np.array_equal(ch.get_decompressed(), data)


def test_level_zero_stores_and_nine_compresses():
    data = sample(np.uint8, 256, 256)
    stored = ci.Channel(data, 256, 256, compression_level=0)
    packed = ci.Channel(data, 256, 256, compression_level=9)
    assert stored.compressed_bytes() >= data.nbytes
    assert packed.compressed_bytes() < data.nbytes
