"""Reading and writing GeoTIFFs with validation; outputs are written atomically (:mod:`rsseg.files`).

Label maps (segmentations, prepared labels, superpixels) are Cloud-Optimized GeoTIFFs: tiled, with
internal overviews and, for uint8 maps, a colour table, so a GIS opens a GID-sized map at once and shows
its classes in colour.
"""

import colorsys
import contextlib
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import DatasetReader, MemoryFile
from rasterio.windows import Window

from .. import IGNORE_LABEL
from ..errors import InputError, UnreadableError
from ..files import StrPath, atomic_path

BLOCK_SIZE = 256
"""Side of the tiles of the GeoTIFFs written tiled (label maps, upscaled patches); a label map's overviews go down
to about this size."""
GOLDEN_RATIO_CONJUGATE = 0.618033988749895
"""Hue step between successive label colours: any number of labels get well-separated hues."""
RGB = tuple[int, int, int]
COLOUR_BANDS = {"red": ColorInterp.red, "green": ColorInterp.green, "blue": ColorInterp.blue}
"""Band names a GIS shows as a colour; any other band (nir) is undefined, never a colour or transparency."""


@contextlib.contextmanager
def without_georeferencing_warning() -> Iterator[None]:
    """Silence rasterio's NotGeoreferencedWarning: rasters of PNG and JPEG datasets have no georeferencing,
    which the workflow says once per dataset, not at every read and write of every rule."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def open_raster(path: StrPath) -> DatasetReader:
    """Open a raster for reading, turning GDAL's errors into an :class:`InputError`."""
    try:
        with without_georeferencing_warning():
            return rasterio.open(path)
    except RasterioIOError as err:
        if not Path(path).exists():
            raise InputError(path, "does not exist") from None
        raise UnreadableError(path, f"is not a readable raster ({gdal_reason(err)})") from None


def gdal_reason(err: RasterioIOError) -> str:
    """GDAL's own words for a failure: rasterio's read errors say "see previous exception" and chain it."""
    return str(err.__cause__ or err)


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
            raise UnreadableError(path, f"cannot be decoded ({gdal_reason(err)})") from None
        return data, src.profile


def read_labels(path: StrPath, shape: Sequence[int] | None = None) -> np.ndarray:
    """Read a single-band label raster; ``shape`` is the ``(rows, cols)`` it must have."""
    with open_raster(path) as src:
        check_band_count(path, src.count, 1)
        if shape is not None and tuple(src.shape) != tuple(shape):
            raise InputError(path, f"is {src.shape[0]}x{src.shape[1]} px, expected {shape[0]}x{shape[1]} px "
                                   "(labels must be on the image grid)")
        try:
            labels: np.ndarray = src.read(1)
        except RasterioIOError as err:
            raise UnreadableError(path, f"cannot be decoded ({gdal_reason(err)})") from None
        return labels


def grid_of(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The size and georeferencing of a raster profile, for another raster on the same grid."""
    return {k: profile[k] for k in ("width", "height", "crs", "transform") if k in profile}


def block_layout(width: int, height: int) -> dict[str, Any]:
    """The GeoTIFF creation options of a ``width`` x ``height`` px raster: tiles of :data:`BLOCK_SIZE` px, or strips
    where the raster is smaller than a tile."""
    if width < BLOCK_SIZE or height < BLOCK_SIZE:
        return {"tiled": False}
    return {"tiled": True, "blockxsize": BLOCK_SIZE, "blockysize": BLOCK_SIZE}


def label_profile(profile: Mapping[str, Any], dtype: str = "uint8", nodata: float | None = IGNORE_LABEL
                  ) -> dict[str, Any]:
    """Profile of a single-band label raster on the grid of ``profile``."""
    out = grid_of(profile)
    out.update(driver="GTiff", count=1, dtype=dtype, nodata=nodata, compress="deflate",
               **block_layout(out["width"], out["height"]))
    return out


def colour_interpretation(band_names: Sequence[str]) -> list[ColorInterp]:
    """How a GIS should show each band of an image whose bands are ``band_names``: red, green and blue as those
    colours, any other band (nir) as undefined."""
    return [COLOUR_BANDS.get(name, ColorInterp.undefined) for name in band_names]


def write_raster(path: StrPath, data: np.ndarray, profile: Mapping[str, Any], band_names: Sequence[str] = ()) -> None:
    """Write ``data`` (2-D or ``(bands, rows, cols)``) atomically with ``profile``.

    The bands are tagged as separate grey bands, not as GDAL's guess from their number (with 3 or 4 uint8 bands,
    red, green, blue and alpha, which a GIS shows a NIR band as red and uses the fourth band as transparency);
    ``band_names``, one per band, tag the red, green and blue bands as those colours.
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    if band_names and len(band_names) != data.shape[0]:
        raise ValueError(f"{len(band_names)} band names for {data.shape[0]} bands")
    profile = dict(profile, count=data.shape[0], dtype=data.dtype.name, photometric="MINISBLACK")
    with without_georeferencing_warning(), atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        if band_names:
            dst.colorinterp = colour_interpretation(band_names)
            dst.descriptions = tuple(band_names)
        dst.write(data)


def distinct_colours(n: int) -> list[RGB]:
    """``n`` colours of well-separated hues, for labels without a colour of their own (segment ids)."""
    colours: list[RGB] = []
    for i in range(n):
        red, green, blue = colorsys.hsv_to_rgb(i * GOLDEN_RATIO_CONJUGATE % 1, 0.7, 0.9)
        colours.append((round(255 * red), round(255 * green), round(255 * blue)))
    return colours


def colour_table(colours: Sequence[Sequence[int]], nodata: float | None) -> dict[int, tuple[int, int, int, int]]:
    """A uint8 map's GDAL colour table: ``colours`` for the first labels, distinct hues for the others, and
    the no-data value transparent."""
    rgbs = [(int(r), int(g), int(b)) for r, g, b in colours] + distinct_colours(256 - len(colours))
    table = {value: (r, g, b, 255) for value, (r, g, b) in enumerate(rgbs)}
    if nodata is not None and 0 <= nodata <= 255:
        table[int(nodata)] = (0, 0, 0, 0)
    return table


def write_labels(path: StrPath, labels: np.ndarray, profile: Mapping[str, Any], nodata: float | None = IGNORE_LABEL,
                 colours: Sequence[Sequence[int]] = ()) -> None:
    """Write a label map on the grid of ``profile`` (uint8 when the labels fit, else int32), atomically, as a
    Cloud-Optimized GeoTIFF; a uint8 map gets a colour table (``colours`` for labels 0, 1, ..., if given).

    The map is drawn in memory first: the COG driver only copies a finished dataset, whose overviews it
    builds by nearest neighbour, so that an overview pixel is a label, never a mean of labels.
    """
    labels = np.asarray(labels)
    dtype = "uint8" if labels.size == 0 or (labels.min() >= 0 and labels.max() <= 255) else "int32"
    with without_georeferencing_warning(), MemoryFile() as memory, atomic_path(path) as tmp:
        with memory.open(driver="GTiff", count=1, dtype=dtype, nodata=nodata, **grid_of(profile)) as draft:
            if dtype == "uint8":  # before the data: a TIFF's photometric tag cannot change once pixels are written
                draft.write_colormap(1, colour_table(colours, nodata))
            draft.write(labels.astype(dtype, copy=False), 1)
        with memory.open() as draft:
            rasterio.shutil.copy(draft, tmp, driver="COG", compress="DEFLATE", blocksize=BLOCK_SIZE,
                                 overview_resampling="NEAREST")


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
