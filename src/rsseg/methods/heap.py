"""Keeping freed memory in the process while a network trains, so each step does not page-fault it in.

glibc's malloc serves every allocation above its mmap threshold (128 KiB, rising to at most 32 MiB)
with fresh pages from ``mmap`` and gives them back on ``free``. One training step of the superpixel
FCN on a 512x512 window allocates and frees hundreds of megabytes of activations, so the next step
faults every page in again and the kernel zeroes it (page faults and seconds per step with and without:
docs/benchmarks.md, "Setting by setting on the AVX-512 EPYC"). Inside
:func:`retained_heap` large blocks come from the heap and stay there when freed, ready for the
next step; on exit glibc's defaults come back and the free heap pages are returned to the system.
"""

import contextlib
import ctypes
import platform
from collections.abc import Iterator

# mallopt parameters and their defaults, from glibc's malloc.h and mallopt(3)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
DEFAULT_TRIM_THRESHOLD = 128 * 1024
DEFAULT_MMAP_MAX = 65536
NEVER_TRIM = 2**31 - 1  # mallopt takes an int


def glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the only one with these ``mallopt`` knobs), else None."""
    if platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(None)


@contextlib.contextmanager
def retained_heap() -> Iterator[None]:
    """Serve large allocations from the heap and never trim it inside the block (glibc; elsewhere a no-op).

    Peak memory is unchanged (the same blocks are live at the peak); what changes is that memory
    freed inside the block is reused instead of unmapped and faulted in again. ``malloc_trim`` on
    exit releases it, so later stages see the process as before. The block restores glibc's default
    settings, not ones a user set with ``GLIBC_TUNABLES``.
    """
    libc = glibc()
    if libc is None:
        yield
        return
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, NEVER_TRIM)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        libc.malloc_trim(0)
