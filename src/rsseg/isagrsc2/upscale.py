"""Tiled super-resolution of RGB images and GeoTIFF patches with a spandrel model (Real-ESRGAN x4).

Each tile is run with ``overlap`` pixels of real image context on every side and only its centre is
kept, so a model whose receptive field fits in the overlap gives the same result as one untiled pass,
and memory stays bounded by the tile size whatever the image size.
"""

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rasterio
import torch
from affine import Affine
from numpy.typing import ArrayLike
from rasterio.windows import Window

from ..data.raster import block_layout, read_scene
from ..data.spectra import percentile_stretch
from ..errors import InputError
from ..files import StrPath, atomic_directory, atomic_path
from ..params import FromConfig, Range

if TYPE_CHECKING:
    from spandrel import ImageModelDescriptor

log = logging.getLogger(__name__)

LOG_EVERY_TILES = 25


@dataclass(frozen=True)
class UpscaleParams(FromConfig):
    """Tiled upscaling: ``tile`` input pixels per pass with ``overlap`` pixels of context on each side, so any
    image fits in bounded memory without seams; ``half`` runs the model in float16 (on CUDA)."""

    tile: int = 256
    overlap: int = 16
    half: bool = False

    section = "upscale"
    bounds = {"tile": Range(minimum=8), "overlap": Range(minimum=0)}


def _as_unit_float(image: ArrayLike) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[0] != 3:
        raise ValueError(f"expected an RGB image of shape (3, rows, cols), got {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return array.astype(np.float32, copy=False)


def iter_upscaled_tiles(model: "ImageModelDescriptor", image: np.ndarray, *, tile: int = UpscaleParams.tile,
                        overlap: int = UpscaleParams.overlap, device: torch.device | str = "cpu",
                        half: bool = UpscaleParams.half) -> Iterator[tuple[Window, np.ndarray]]:
    """Yield ``(window, block)``: each output window (in upscaled pixels) and its uint8 ``(3, r, c)`` block.

    ``image`` is uint8 RGB or float RGB in [0, 1], shaped ``(3, rows, cols)``.
    """
    if tile < 1 or overlap < 0:
        raise ValueError(f"tile must be >= 1 and overlap >= 0, got tile={tile}, overlap={overlap}")
    image = _as_unit_float(image)
    dtype = torch.float16 if half else torch.float32
    model.to(device).to(dtype)
    scale = model.scale
    _, height, width = image.shape
    origins = [(row, col) for row in range(0, height, tile) for col in range(0, width, tile)]
    for done, (row, col) in enumerate(origins, start=1):
        row_end, col_end = min(row + tile, height), min(col + tile, width)
        top, left = max(row - overlap, 0), max(col - overlap, 0)
        bottom, right = min(row_end + overlap, height), min(col_end + overlap, width)
        crop = torch.from_numpy(np.ascontiguousarray(image[:, top:bottom, left:right]))
        upscaled = model(crop[None].to(device=device, dtype=dtype))[0]
        centre = upscaled[:, (row - top) * scale:(row_end - top) * scale,
                          (col - left) * scale:(col_end - left) * scale]
        block = (centre.float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
        if done % LOG_EVERY_TILES == 0 or done == len(origins):
            log.info("upscaled %d/%d tiles", done, len(origins))
        yield Window(col * scale, row * scale, (col_end - col) * scale, (row_end - row) * scale), block


def upscaled_profile(profile: Mapping[str, Any], scale: int) -> dict[str, Any]:
    """GeoTIFF profile of an RGB uint8 image ``scale`` times finer on the same footprint and CRS."""
    width, height = profile["width"] * scale, profile["height"] * scale
    return dict(driver="GTiff", count=3, dtype="uint8", width=width, height=height, crs=profile.get("crs"),
                transform=profile["transform"] @ Affine.scale(1 / scale), compress="deflate", photometric="RGB",
                **block_layout(width, height))


def upscale_geotiff(src_path: StrPath, dst_path: StrPath, model: "ImageModelDescriptor", *, bands: Sequence[int],
                    tile: int = UpscaleParams.tile, overlap: int = UpscaleParams.overlap,
                    device: torch.device | str = "cpu", half: bool = UpscaleParams.half) -> StrPath:
    """Upscale bands ``bands`` (three 0-based indices, as R, G, B) of a GeoTIFF patch into an RGB GeoTIFF.

    Bands are percentile-stretched to the display range first; no-data pixels become 0.
    """
    data, valid, profile = read_scene(src_path)
    if len(bands) != 3 or not all(0 <= b < data.shape[0] for b in bands):
        raise InputError(src_path, f"has {data.shape[0]} band(s); cannot take RGB bands {list(bands)} "
                                   "(three 0-based band indices)")
    rgb = percentile_stretch(data[list(bands)], valid)
    with atomic_path(dst_path) as tmp, \
            rasterio.open(tmp, "w", **upscaled_profile(profile, model.scale)) as dst:
        for window, block in iter_upscaled_tiles(model, rgb, tile=tile, overlap=overlap, device=device, half=half):
            dst.write(block, window=window)
    log.info("upscaled %s x%d to %s", src_path, model.scale, dst_path)
    return dst_path


def upscale_patches(manifest: pd.DataFrame, out_dir: StrPath, model: "ImageModelDescriptor", *, bands: Sequence[int],
                    tile: int = UpscaleParams.tile, overlap: int = UpscaleParams.overlap,
                    device: torch.device | str = "cpu", half: bool = UpscaleParams.half) -> None:
    """:func:`upscale_geotiff` of every patch of a manifest into ``out_dir/<patch_id>.tif``; ``out_dir``
    appears only once every patch is upscaled."""
    with atomic_directory(out_dir) as tmp:
        for patch in manifest.itertuples():
            upscale_geotiff(str(patch.image), tmp / f"{patch.patch_id}.tif", model, bands=bands, tile=tile,
                            overlap=overlap, device=device, half=half)
