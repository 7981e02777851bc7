"""Patch files and their manifests, for the patch-based (ISAgrSC2) methods.

:func:`sample_patches` cuts seeded random square patches of a scene and its labels and lists them in
a manifest that every later rule reads with :func:`read_manifest` (the upscaled patches and SAM's labels
are read back by :mod:`rsseg.isagrsc2.segmented_patches`).
"""

import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from ..errors import InputError
from ..files import StrPath, atomic_directory
from ..params import FromConfig, Range
from .raster import open_raster, read_labels, valid_mask, write_labels, write_raster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatchParams(FromConfig):
    """The patches of a scene: ``n_patches`` square windows of ``size`` px of the prepared scene, each with at least
    ``min_valid_fraction`` of valid pixels."""

    size: int = 128
    n_patches: int = 4
    min_valid_fraction: float = 0.9

    section = "patches"
    bounds = {"size": Range(minimum=16), "n_patches": Range(minimum=1),
              "min_valid_fraction": Range(minimum=0, maximum=1)}

MAX_ATTEMPTS_PER_PATCH = 1000

MANIFEST_COLUMNS = ["scene", "patch_id", "row", "col", "height", "width", "valid_fraction", "seed",
                    "image", "label"]
"""Columns of a manifest as :func:`sample_patches` makes it."""
READ_COLUMNS = ["scene", "patch_id", "image", "label"]
"""The columns :func:`read_manifest` requires: those every reader of a manifest uses."""


def scene_rng(seed: int, scene: str) -> np.random.Generator:
    """Random generator fixed by the seed and the scene name (crc32: stable across runs, unlike ``hash``)."""
    return np.random.default_rng([seed, zlib.crc32(scene.encode("utf-8"))])


def _draw_windows(valid: np.ndarray, size: int, count: int, min_valid_fraction: float, rng: np.random.Generator,
                  image_path: StrPath) -> dict[tuple[int, int], float]:
    """Distinct window origins ``(row, col)`` -> valid fraction, in drawing order."""
    height, width = valid.shape
    chosen: dict[tuple[int, int], float] = {}
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


def _patch_profile(profile: Mapping[str, Any], window: Window) -> dict[str, Any]:
    """Profile of a small untiled GeoTIFF holding ``window`` of a raster with ``profile``."""
    return dict(driver="GTiff", width=int(window.width), height=int(window.height), crs=profile.get("crs"),
                transform=window_transform(window, profile["transform"]), nodata=profile.get("nodata"),
                compress="deflate")


def sample_patches(image_path: StrPath, label_path: StrPath, out_dir: StrPath, *, scene: str, params: PatchParams,
                   seed: int) -> pd.DataFrame:
    """Cut ``params.n_patches`` random ``params.size`` px square patches of a scene and its labels into ``out_dir``.

    Windows are drawn uniformly from a generator seeded by ``(seed, scene)``, distinct, and kept only
    when at least ``params.min_valid_fraction`` of their pixels are valid. ``out_dir`` appears only once every
    patch is written. Returns the manifest, one row per patch (columns :data:`MANIFEST_COLUMNS`);
    writing it is the caller's job.
    """
    out_dir = Path(out_dir)
    size = params.size
    rows = []
    with open_raster(image_path) as src:
        height, width = src.shape
        if height < size or width < size:
            raise InputError(image_path, f"is {height}x{width} px, smaller than the {size}x{size} px patches")
        labels = read_labels(label_path, shape=(height, width))
        valid = valid_mask((src.read(band) for band in range(1, src.count + 1)), src.nodata)  # a band at a time
        windows = _draw_windows(valid, size, params.n_patches, params.min_valid_fraction,
                                scene_rng(seed, scene), image_path)
        with atomic_directory(out_dir) as tmp:
            for i, ((row, col), fraction) in enumerate(windows.items()):
                patch_id = f"{scene}_p{i:03d}"
                window = Window(col, row, size, size)
                profile = _patch_profile(src.profile, window)
                image_name, label_name = f"{patch_id}.tif", f"{patch_id}_labels.tif"
                write_raster(tmp / image_name, src.read(window=window), profile)
                write_labels(tmp / label_name, labels[row:row + size, col:col + size], profile)
                rows.append(dict(scene=scene, patch_id=patch_id, row=row, col=col, height=size, width=size,
                                 valid_fraction=fraction, seed=seed, image=str(out_dir / image_name),
                                 label=str(out_dir / label_name)))
    log.info("%s: %d patches of %d px", scene, len(rows), size)
    return pd.DataFrame(rows, columns=MANIFEST_COLUMNS)


def read_manifest(path: StrPath) -> pd.DataFrame:
    """A patch manifest (CSV with at least :data:`READ_COLUMNS`), patch ids as strings."""
    try:
        manifest = pd.read_csv(path, dtype={"scene": str, "patch_id": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(path, f"is not a readable CSV ({err})") from None
    missing = [c for c in READ_COLUMNS if c not in manifest.columns]
    if missing:
        raise InputError(path, f"lacks manifest column(s) {missing}")
    return manifest
