"""Felzenszwalb superpixels of a whole scene, the synthetic ground truth of the superpixel FCN."""

import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
from skimage.segmentation import felzenszwalb

from ..data.spectra import percentile_stretch
from ..params import FromConfig, Range


@dataclass(frozen=True)
class SuperpixelParams(FromConfig):
    """Felzenszwalb's settings as Chen et al. (2022) publish them; ``tile_size`` (pixels, None: the whole
    scene at once) is ours and bounds the memory (see :func:`felzenszwalb_superpixels`)."""

    scale: float = 32
    sigma: float = 0.5
    min_size: int = 64
    tile_size: int | None = 512

    section = "superpixels"
    bounds = {"scale": Range(exclusive_minimum=0), "sigma": Range(minimum=0), "min_size": Range(minimum=1),
              "tile_size": Range(minimum=64)}


def segment_tile(tile: np.ndarray, scale: float, sigma: float, min_size: int) -> np.ndarray:
    """skimage's Felzenszwalb of one ``(h, w, bands)`` tile, int32 labels from 0."""
    with warnings.catch_warnings():
        # skimage doubts inputs with other than 3 channels; ours are bands chosen on purpose.
        warnings.filterwarnings("ignore", "Got image with third dimension", RuntimeWarning)
        segments: np.ndarray = felzenszwalb(tile, scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)
    return segments.astype(np.int32, copy=False)


def felzenszwalb_superpixels(image: np.ndarray, valid: np.ndarray, *, scale: float = SuperpixelParams.scale,
                             sigma: float = SuperpixelParams.sigma, min_size: int = SuperpixelParams.min_size,
                             tile_size: int | None = SuperpixelParams.tile_size, workers: int = 1) -> np.ndarray:
    """Felzenszwalb superpixels of ``image`` (``(bands, h, w)``), as int32 labels consecutive from 0.

    Bands are stretched to [0, 1] with scene-wide percentiles first, so every tile sees the same
    scaling. skimage builds an 8-connected graph of the whole input (about 370 bytes per pixel,
    17 GiB for a 7200x6800 scene; docs/benchmarks.md), so with ``tile_size`` the scene is cut into non-overlapping
    tiles segmented one at a time, with labels offset to stay unique. A seam only adds a superpixel
    boundary along a tile edge; the FCN uses superpixels only as regions to vote labels within, so
    an extra boundary splits a few segments but cannot merge different ones, and stitching overlaps
    would cost more than it could change. Invalid pixels (set to 0 by the stretch) get labels too.

    skimage's Felzenszwalb is single-threaded; ``workers`` > 1 segments that many tiles at once in
    forked processes (each holding one tile's graph). The labels do not depend on ``workers``:
    tiles are numbered in row-major order whatever order they finish in.
    """
    stretched = percentile_stretch(np.asarray(image, dtype=np.float32), valid)
    _, height, width = stretched.shape
    size = max(height, width) if tile_size is None else tile_size
    # Tiles are not snapped back at the edges (unlike FCN windows): the last ones are just smaller.
    corners = [(row, col) for row in range(0, height, size) for col in range(0, width, size)]
    tiles = (np.moveaxis(stretched[:, row:row + size, col:col + size], 0, -1) for row, col in corners)
    segment = partial(segment_tile, scale=scale, sigma=sigma, min_size=min_size)
    labels = np.empty((height, width), dtype=np.int32)
    offset = 0

    def place(corner: tuple[int, int], segments: np.ndarray) -> None:
        nonlocal offset
        row, col = corner
        labels[row:row + size, col:col + size] = segments + offset
        offset += int(segments.max()) + 1

    if workers > 1 and len(corners) > 1:
        # fork, not spawn: a spawned worker would re-run a Snakemake rule script, which has no main guard.
        with ProcessPoolExecutor(min(workers, len(corners)), mp_context=multiprocessing.get_context("fork")) as pool:
            # map keeps row-major order; it pickles a tile only when a worker is about to take it.
            for corner, segments in zip(corners, pool.map(segment, tiles), strict=True):
                place(corner, segments)
    else:
        for corner, tile in zip(corners, tiles, strict=True):
            place(corner, segment(tile))
    return labels
