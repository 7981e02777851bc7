"""Inside retained_heap large blocks come from the heap and are reused; outside glibc maps them afresh."""

import ctypes

import numpy as np
import pytest

from rsseg.methods.heap import glibc, retained_heap

pytestmark = pytest.mark.skipif(glibc() is None, reason="the mallopt settings exist in glibc only")

BLOCK_BYTES = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB)


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def malloc_state():
    """Bytes in mmap-ed blocks and bytes of the main heap, as glibc counts them."""
    mallinfo2 = glibc().mallinfo2
    mallinfo2.restype = Mallinfo2
    info = mallinfo2()
    return info.hblkhd, info.arena


def mapped_and_heap_growth_of_a_block():
    mapped, heap = malloc_state()
    block = np.ones(BLOCK_BYTES, dtype=np.uint8)
    grown_mapped, grown_heap = malloc_state()
    del block
    return grown_mapped - mapped, grown_heap - heap


def test_large_blocks_come_from_the_heap_and_are_reused_only_inside():
    mapped, _ = mapped_and_heap_growth_of_a_block()
    assert mapped >= BLOCK_BYTES
    with retained_heap():
        mapped, heap = mapped_and_heap_growth_of_a_block()
        assert mapped == 0 and heap >= BLOCK_BYTES
        mapped, heap = mapped_and_heap_growth_of_a_block()
        assert mapped == 0 and heap == 0   # the freed block is reused, not trimmed and grown again
    mapped, _ = mapped_and_heap_growth_of_a_block()
    assert mapped >= BLOCK_BYTES           # glibc's defaults are back
