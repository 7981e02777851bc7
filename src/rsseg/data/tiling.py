"""Placing fixed-size windows over a raster so that every pixel is covered."""


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of windows of ``size`` every ``stride`` pixels along an axis of ``length``.

    The last window is moved back to end exactly at the edge, so no window hangs over it and no
    pixel is missed; an axis shorter than ``size`` gets a single window at 0 (clipped to ``length``).
    """
    if length <= 0 or size <= 0 or stride <= 0:
        raise ValueError(f"length, size and stride must be positive, got {length}, {size}, {stride}")
    if stride > size:
        raise ValueError(f"stride {stride} larger than window {size} would leave pixels uncovered")
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def window_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """Rows and columns of a ``size`` px window on a ``height`` x ``width`` raster: the raster's own along an axis
    shorter than ``size``."""
    return min(size, height), min(size, width)


def tile_windows(height: int, width: int, size: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Windows ``(row, col, h, w)`` covering a ``height`` x ``width`` raster, in row-major order."""
    win_h, win_w = window_shape(height, width, size)
    return [(row, col, win_h, win_w)
            for row in window_starts(height, size, stride)
            for col in window_starts(width, size, stride)]
