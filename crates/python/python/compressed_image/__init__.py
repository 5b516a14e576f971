"""Large multi-channel images kept compressed in memory, chunk by chunk.

A :class:`Channel` is one ``width × height`` plane of one dtype (float16, float32, float64,
uint8, int8, uint16, int16, uint32, int32), stored as independently compressed chunks of whole
scanlines. An :class:`Image` groups channels of one dtype and size under names, with JSON
metadata. Compression and decompression release the GIL.
"""

from ._native import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_COMPRESSION_LEVEL,
    Channel,
    ChunkIterator,
    Codec,
    Image,
    __version__,
    _can_compress,
)

__all__ = [
    "Channel",
    "ChunkIterator",
    "Codec",
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_COMPRESSION_LEVEL",
    "Image",
    "__version__",
]
