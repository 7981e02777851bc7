"""The patches of a scene as the ISAgrSC2 steps after Real-ESRGAN read them back.

:func:`read_upscaled_rgb` reads an upscaled patch (SAM's input); :func:`iter_scene_patches` gives each patch
of a manifest with its upscaled image and the labels SAM wrote for it, to the classifier and the SAM+CLIP map.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..data.patches import read_manifest
from ..data.raster import open_raster, read_image, read_labels
from ..errors import InputError
from ..files import StrPath


def read_upscaled_rgb(path: StrPath, patch_shape: tuple[int, int], factor: int) -> np.ndarray:
    """Read an upscaled patch as uint8 (h, w, 3), checking it is ``factor`` times the patch grid."""
    data, _ = read_image(path, expected_bands=3)
    if data.dtype != np.uint8:
        raise InputError(path, f"is {data.dtype}, expected uint8 RGB")
    expected = (patch_shape[0] * factor, patch_shape[1] * factor)
    if data.shape[1:] != expected:
        raise InputError(path, f"is {data.shape[1]}x{data.shape[2]} px, expected {expected[0]}x{expected[1]} px "
                               f"({factor}x the {patch_shape[0]}x{patch_shape[1]} px patch)")
    return np.ascontiguousarray(data.transpose(1, 2, 0))


class SegmentedPatch(NamedTuple):
    scene: str
    patch_id: str
    image: np.ndarray      # upscaled uint8 RGB (H, W, 3)
    labels: np.ndarray     # int32 instance labels on the patch grid (h, w)
    label_path: str        # the patch's class raster (manifest column ``label``)
    profile: dict[str, Any]  # profile of the SAM labels raster


def iter_segmented_patches(manifest: pd.DataFrame, upscaled_dir: StrPath, labels_dir: StrPath
                           ) -> Iterator[SegmentedPatch]:
    """Each manifest patch with its upscaled image and SAM labels (the upscale factor is read off the sizes)."""
    for patch in manifest.itertuples():
        labels_path = Path(labels_dir) / f"{patch.patch_id}.tif"
        with open_raster(labels_path) as src:
            profile = src.profile
        labels = read_labels(labels_path).astype(np.int32)
        up_path = Path(upscaled_dir) / f"{patch.patch_id}.tif"
        with open_raster(up_path) as src:
            factor = src.height // labels.shape[0]
        image = read_upscaled_rgb(up_path, labels.shape, max(factor, 1))
        yield SegmentedPatch(str(patch.scene), str(patch.patch_id), image, labels, str(patch.label), profile)


def iter_scene_patches(manifests: Sequence[StrPath], upscaled_dirs: Sequence[StrPath],
                       labels_dirs: Sequence[StrPath]) -> Iterator[SegmentedPatch]:
    """:func:`iter_segmented_patches` over several scenes, given as parallel lists of their folders."""
    if not len(manifests) == len(upscaled_dirs) == len(labels_dirs):
        raise ValueError("one upscaled folder and one SAM labels folder per manifest are needed")
    for manifest, upscaled_dir, labels_dir in zip(manifests, upscaled_dirs, labels_dirs, strict=True):
        yield from iter_segmented_patches(read_manifest(manifest), upscaled_dir, labels_dir)
