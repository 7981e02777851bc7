"""Seeded random square patches of a scene and its labels, for the patch-based (ISAgrSC2) methods."""

import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from .errors import InputError
from .raster import open_raster, read_labels, write_labels, write_raster

log = logging.getLogger(__name__)

MAX_ATTEMPTS_PER_PATCH = 1000

MANIFEST_COLUMNS = ["scene", "patch_id", "row", "col", "height", "width", "valid_fraction", "seed",
                    "image", "label"]


def scene_rng(seed, scene):
    """Random generator fixed by the seed and the scene name (crc32: stable across runs, unlike ``hash``)."""
    return np.random.default_rng([seed, zlib.crc32(scene.encode("utf-8"))])


def _valid_mask(src):
    """Pixels not holding nodata in every band (the rule of :func:`rsseg.raster.read_scene`), one band at a time."""
    if src.nodata is None:
        return np.ones(src.shape, dtype=bool)
    nodata = np.ones(src.shape, dtype=bool)
    for band in range(1, src.count + 1):
        nodata &= src.read(band) == src.nodata
    return ~nodata


def _draw_windows(valid, size, count, min_valid_fraction, rng, image_path):
    """Distinct window origins ``(row, col)`` -> valid fraction, in drawing order."""
    height, width = valid.shape
    chosen = {}
    attempts = count * MAX_ATTEMPTS_PER_PATCH
    for _ in range(attempts):
        if len(chosen) == count:
            break
        row, col = (int(v) for v in rng.integers(0, [height - size + 1, width - size + 1]))
        if (row, col) in chosen:
            continue
        fraction = float(valid[row:row + size, col:col + size].mean())
        if fraction >= min_valid_fraction:
            chosen[row, col] = fraction
    if len(chosen) < count:
        raise InputError(image_path, f"only {len(chosen)} of {count} distinct {size}x{size} px windows with at "
                                     f"least {min_valid_fraction:.0%} valid pixels found in {attempts} random "
                                     "tries; lower the patch size, count or min_valid_fraction")
    return chosen


def _patch_profile(profile, window):
    """Profile of a small untiled GeoTIFF holding ``window`` of a raster with ``profile``."""
    return dict(driver="GTiff", width=int(window.width), height=int(window.height), crs=profile.get("crs"),
                transform=window_transform(window, profile["transform"]), nodata=profile.get("nodata"),
                compress="deflate")


def sample_patches(image_path, label_path, out_dir, scene, size, count, min_valid_fraction, seed):
    """Cut ``count`` random ``size`` x ``size`` patches of a scene and its labels into ``out_dir``.

    Windows are drawn uniformly from a generator seeded by ``(seed, scene)``, distinct, and kept only
    when at least ``min_valid_fraction`` of their pixels are valid. Returns the manifest, one row per
    patch (columns :data:`MANIFEST_COLUMNS`); writing it is the caller's job.
    """
    out_dir = Path(out_dir)
    rows = []
    with open_raster(image_path) as src:
        height, width = src.shape
        if height < size or width < size:
            raise InputError(image_path, f"is {height}x{width} px, smaller than the {size}x{size} px patches")
        labels = read_labels(label_path, shape=(height, width))
        windows = _draw_windows(_valid_mask(src), size, count, min_valid_fraction, scene_rng(seed, scene),
                                image_path)
        for i, ((row, col), fraction) in enumerate(windows.items()):
            patch_id = f"{scene}_p{i:03d}"
            window = Window(col, row, size, size)
            profile = _patch_profile(src.profile, window)
            image_out, label_out = out_dir / f"{patch_id}.tif", out_dir / f"{patch_id}_labels.tif"
            write_raster(image_out, src.read(window=window), profile)
            write_labels(label_out, labels[row:row + size, col:col + size], profile)
            rows.append(dict(scene=scene, patch_id=patch_id, row=row, col=col, height=size, width=size,
                             valid_fraction=fraction, seed=seed, image=str(image_out), label=str(label_out)))
    log.info("%s: %d patches of %d px", scene, len(rows), size)
    return pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
