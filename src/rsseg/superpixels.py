"""Felzenszwalb superpixels of a whole scene, the synthetic ground truth of the superpixel FCN."""

import warnings

import numpy as np
from skimage.segmentation import felzenszwalb

from .spectra import percentile_stretch


def felzenszwalb_superpixels(image, valid, scale=32, sigma=0.5, min_size=64, tile_size=None):
    """Felzenszwalb superpixels of ``image`` (``(bands, h, w)``), as int32 labels consecutive from 0.

    Bands are stretched to [0, 1] with scene-wide percentiles first, so every tile sees the same
    scaling. skimage builds an 8-connected graph of the whole input (a few hundred bytes per pixel,
    over 10 GiB for a 7200x6800 scene), so with ``tile_size`` the scene is cut into non-overlapping
    tiles segmented one at a time, with labels offset to stay unique. A seam only adds a superpixel
    boundary along a tile edge; the FCN uses superpixels only as regions to vote labels within, so
    an extra boundary splits a few segments but cannot merge different ones, and stitching overlaps
    would cost more than it could change. Invalid pixels (set to 0 by the stretch) get labels too.
    """
    stretched = percentile_stretch(np.asarray(image, dtype=np.float32), valid)
    _, height, width = stretched.shape
    size = max(height, width) if tile_size is None else tile_size
    labels = np.empty((height, width), dtype=np.int32)
    offset = 0
    # Tiles are not snapped back at the edges (unlike FCN windows): the last ones are just smaller.
    for row in range(0, height, size):
        for col in range(0, width, size):
            tile = np.moveaxis(stretched[:, row:row + size, col:col + size], 0, -1)
            with warnings.catch_warnings():
                # skimage doubts inputs with other than 3 channels; ours are bands chosen on purpose.
                warnings.filterwarnings("ignore", "Got image with third dimension", RuntimeWarning)
                segments = felzenszwalb(tile, scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)
            labels[row:row + size, col:col + size] = segments + offset
            offset += int(segments.max()) + 1
    return labels
