"""Threads: concurrent reads and writes, and the GIL released while (de)compressing."""

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import compressed_image as ci
from conftest import sample

W, H = 1024, 512


@pytest.fixture(scope="module")
def big():
    data = sample(np.float32, H, W)
    return data, ci.Channel(data, W, H, chunk_size=W * 4 * 16)


def test_threaded_reads_of_one_channel(big):
    data, ch = big
    flat = data.ravel()
    n = ch.chunk_elems()

    def reader(seed):
        order = np.random.default_rng(seed).permutation(ch.num_chunks())
        buffer = np.empty(n, dtype=np.float32)
        for i in order:
            out = buffer[: ch.chunk_elems(i)]
            ch.get_chunk(int(i), out)
            if not np.array_equal(out, flat[i * n : i * n + out.size]):
                return False
        return np.array_equal(ch.get_decompressed(), data)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(reader, range(8)))


def test_threaded_writes_to_separate_channels():
    masks = [ci.Channel.zeros(np.uint16, 256, 128, chunk_size=256 * 2 * 8) for _ in range(16)]

    def writer(k):
        ch = masks[k]
        for i in range(k % 4, ch.num_chunks(), 4):
            ch.set_chunk(i, np.full(ch.chunk_elems(i), k + i, dtype=np.uint16))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(16)))
    for k, ch in enumerate(masks):
        for i in range(ch.num_chunks()):
            expected = k + i if i % 4 == k % 4 else 0
            assert (ch.get_chunk(i) == expected).all()


def test_concurrent_reads_and_writes_of_one_chunk():
    """A reader sees a chunk either before or after a write, never half of it."""
    ch = ci.Channel.zeros(np.int32, 512, 64, chunk_size=512 * 4 * 64)
    patterns = [np.arange(512 * 64, dtype=np.int32) * s for s in (1, 3)]
    ch.set_chunk(0, patterns[0])
    stop = threading.Event()

    def writer():
        k = 0
        while not stop.is_set():
            ch.set_chunk(0, patterns[k % 2])
            k += 1
        return k

    def reader():
        seen = 0
        buffer = np.empty(ch.chunk_elems(), dtype=np.int32)
        for _ in range(200):
            ch.get_chunk(0, buffer)
            if not any(np.array_equal(buffer, p) for p in patterns):
                return -1
            seen += 1
        return seen

    with ThreadPoolExecutor(max_workers=3) as pool:
        w = pool.submit(writer)
        readers = [pool.submit(reader) for _ in range(2)]
        results = [r.result() for r in readers]
        stop.set()
        assert w.result() > 0
    assert results == [200, 200]


class Spinner:
    """A thread that counts while it holds the GIL and yields it after every count.

    With a huge switch interval, the interpreter never takes the GIL from a thread: the
    spinner only counts while the main thread has given the GIL up of its own accord (for
    instance inside a Rust call that released it).
    """

    def __enter__(self):
        self.old_interval = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        self.count = 0
        self.stop = threading.Event()
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.started.wait()
        return self

    def _run(self):
        self.started.set()
        while not self.stop.is_set():
            self.count += 1
            time.sleep(0)  # releases the GIL

    def counts_during(self, call):
        before = self.count
        call()
        return self.count - before

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        sys.setswitchinterval(self.old_interval)


def progress_during(call, attempts=3):
    """How far the spinner got while `call` ran (best of a few tries, to ride out a busy box)."""
    with Spinner() as spinner:
        return max(spinner.counts_during(call) for _ in range(attempts))


def test_spinner_stands_still_while_the_gil_is_held():
    """The control: a long C call that keeps the GIL lets the spinner make no progress, so
    the tests below would fail if our calls held the GIL."""
    assert progress_during(lambda: sum(range(10_000_000)), attempts=1) == 0


def test_gil_is_released_while_decompressing():
    data = sample(np.float32, 2048, 2048)
    ch = ci.Channel(data, 2048, 2048, chunk_size=16 << 20)  # one 16 MiB chunk
    assert progress_during(ch.get_decompressed) > 0
    buffer = np.empty(ch.chunk_elems(0), dtype=np.float32)
    assert progress_during(lambda: ch.get_chunk(0, buffer)) > 0
    img = ci.Image(np.float32, [ch, ch], 2048, 2048)
    assert progress_during(img.get_decompressed) > 0


def test_gil_is_released_while_compressing():
    data = sample(np.float32, 2048, 2048)
    assert progress_during(lambda: ci.Channel(data, 2048, 2048)) > 0
    ch = ci.Channel.zeros(np.float32, 2048, 2048, chunk_size=16 << 20)
    assert progress_during(lambda: ch.set_chunk(0, data)) > 0


def test_threads_decompress_in_parallel():
    """Four threads decompressing four channels finish together (sanity, not a benchmark):
    each result is complete and correct."""
    planes = [sample(np.uint16, 1024, 1024, seed=s) for s in range(4)]
    channels = [ci.Channel(p, 1024, 1024, chunk_size=1 << 18) for p in planes]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda c: c.get_decompressed(), channels))
    assert all(np.array_equal(o, p) for o, p in zip(outs, planes))
