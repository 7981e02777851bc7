"""Reading and writing GeoTIFFs with validation; outputs are written atomically (:mod:`rsseg.files`)."""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.io import DatasetReader
from rasterio.windows import Window
from rasterio.errors import RasterioIOError

from .. import IGNORE_LABEL
from ..errors import InputError
from ..files import StrPath, atomic_path


def open_raster(path: StrPath) -> DatasetReader:
    """Open a raster for reading, turning GDAL's errors into an :class:`InputError`."""
    try:
        return rasterio.open(path)
    except RasterioIOError as err:
        reason = "does not exist" if not Path(path).exists() else f"is not a readable raster ({err})"
        raise InputError(path, reason) from None


def check_band_count(path: StrPath, found: int, expected: int | None) -> None:
    if expected is not None and found != expected:
        raise InputError(path, f"has {found} band(s), expected {expected}")


def read_image(path: StrPath, expected_bands: int | None = None, window: Window | None = None
               ) -> tuple[np.ndarray, dict[str, Any]]:
    """Read all bands as ``(bands, rows, cols)`` and the dataset profile."""
    with open_raster(path) as src:
        check_band_count(path, src.count, expected_bands)
        try:
            data = src.read(window=window)
        except RasterioIOError as err:
            raise InputError(path, f"cannot be decoded ({err})") from None
        return data, src.profile


def read_labels(path: StrPath, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a single-band label raster; ``shape`` is the ``(rows, cols)`` it must have."""
    with open_raster(path) as src:
        check_band_count(path, src.count, 1)
        if shape is not None and tuple(src.shape) != tuple(shape):
            raise InputError(path, f"is {src.shape[0]}x{src.shape[1]} px, expected {shape[0]}x{shape[1]} px "
                                   "(labels must be on the image grid)")
        try:
            labels: np.ndarray = src.read(1)
        except RasterioIOError as err:
            raise InputError(path, f"cannot be decoded ({err})") from None
        return labels


def label_profile(profile: Mapping[str, Any], dtype: str = "uint8", nodata: float | None = IGNORE_LABEL
                  ) -> dict[str, Any]:
    """Profile of a single-band label raster on the grid of ``profile``."""
    out = {k: profile[k] for k in ("width", "height", "crs", "transform") if k in profile}
    out.update(driver="GTiff", count=1, dtype=dtype, nodata=nodata, compress="deflate",
               tiled=True, blockxsize=256, blockysize=256)
    if out["width"] < 256 or out["height"] < 256:
        out.update(tiled=False)
        del out["blockxsize"], out["blockysize"]
    return out


def write_raster(path: StrPath, data: np.ndarray, profile: Mapping[str, Any]) -> None:
    """Write ``data`` (2-D or ``(bands, rows, cols)``) atomically with ``profile``."""
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    profile = dict(profile, count=data.shape[0], dtype=data.dtype.name)
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)


def write_labels(path: StrPath, labels: np.ndarray, profile: Mapping[str, Any],
                 nodata: float | None = IGNORE_LABEL) -> None:
    """Write a label map on the grid of ``profile`` (uint8 when the labels fit, else int32)."""
    labels = np.asarray(labels)
    dtype = "uint8" if labels.size == 0 or (labels.min() >= 0 and labels.max() <= 255) else "int32"
    write_raster(path, labels.astype(dtype, copy=False), label_profile(profile, dtype, nodata))


def valid_mask(bands: Iterable[np.ndarray], nodata: float | None) -> np.ndarray:
    """The valid pixels of a raster's ``bands`` (2-D arrays, or a generator reading them one at a time).

    A pixel is no-data when every band holds ``nodata`` (prepare_scene writes no-data pixels that way),
    so a dark but valid pixel with one zero band stays valid. Without a nodata value every pixel is valid.
    """
    nodata_everywhere: np.ndarray | None = None
    for band in bands:
        if nodata is None:
            return np.ones(np.shape(band), dtype=bool)
        at_nodata: np.ndarray = np.asarray(band) == nodata
        nodata_everywhere = at_nodata if nodata_everywhere is None else nodata_everywhere & at_nodata
    if nodata_everywhere is None:
        raise ValueError("a valid-pixel mask needs at least one band")
    return ~nodata_everywhere


def read_scene(path: StrPath, expected_bands: int | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read a prepared scene as float32 ``(bands, rows, cols)``, its valid-pixel mask (:func:`valid_mask`)
    and profile."""
    data, profile = read_image(path, expected_bands)
    return data.astype(np.float32, copy=False), valid_mask(data, profile.get("nodata")), profile
