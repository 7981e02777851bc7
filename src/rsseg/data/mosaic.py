"""Development scenes from the GID-MTL crops: the 224 px crops of a collection tiled into one scene.

The crops (``gid-mtl5/`` and ``gid-mtl15/``, each with ``images/*.png`` and ``labels/*.png`` of the same names;
research use, never part of the repository) are mostly of one class each and named by it. A GID scene is one
large image of many classes, so the workflow segments a mosaic of them, as ``gid-mtl5`` / ``gid-mtl15`` (every
crop) and ``gid-mtl5-25`` / ``gid-mtl15-25`` (25 crops spread over the sorted names: a scene of 9 windows
instead of 36-49). ``python -m rsseg.data.mosaic`` writes them where the config's dataset entries look.
"""

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .. import IGNORE_LABEL
from ..files import StrPath
from .raster import write_labels, write_raster

COLLECTIONS = {"gid-mtl5": 5, "gid-mtl15": 15}
"""The collections and the class code of their unlabelled pixels."""


def read_tile(folder: Path, name: str, unlabelled: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB crop as uint8 ``(3, h, w)`` and its class map with unlabelled pixels set to ``IGNORE_LABEL``."""
    image = np.asarray(Image.open(folder / "images" / name).convert("RGB"))
    truth = np.asarray(Image.open(folder / "labels" / name))
    if truth.shape != image.shape[:2]:
        raise ValueError(f"{folder / 'labels' / name}: {truth.shape} does not match its image {image.shape[:2]}")
    return np.moveaxis(image, -1, 0), np.where(truth == unlabelled, IGNORE_LABEL, truth).astype(np.uint8)


def tile_names(folder: Path, limit: int | None = None) -> list[str]:
    """The crops' names in sorted order (grouped by class), or ``limit`` of them spread evenly over that order."""
    names = sorted(path.name for path in (folder / "images").glob("*.png"))
    if not names:
        raise ValueError(f"{folder / 'images'} holds no .png crop")
    if limit is None or limit >= len(names):
        return names
    return [names[i] for i in np.linspace(0, len(names) - 1, limit).round().astype(int)]


def build_mosaic(tiles: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Tile ``(image (bands, h, w), truth (h, w))`` pairs row-major into one scene: ``(image, truth)``.

    Every tile is cut to the smallest tile's size (GID-MTL has a few 225 px crops among the 224 px ones). The
    grid has ``ceil(sqrt(n))`` columns and as many rows as needed; places left empty in the last row are 0 in
    every band (no data) and ``IGNORE_LABEL`` in the truth.
    """
    bands = tiles[0][0].shape[0]
    height, width = (min(tile.shape[axis] for tile, _ in tiles) for axis in (1, 2))
    columns = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    image = np.zeros((bands, rows * height, columns * width), dtype=np.uint8)
    truth = np.full((rows * height, columns * width), IGNORE_LABEL, dtype=np.uint8)
    for index, (tile, tile_truth) in enumerate(tiles):
        place = np.s_[index // columns * height:(index // columns + 1) * height,
                      index % columns * width:(index % columns + 1) * width]
        image[(slice(None), *place)] = tile[:, :height, :width]
        truth[place] = tile_truth[:height, :width]
    return image, truth


def write_mosaic(folder: StrPath, image: np.ndarray, truth: np.ndarray) -> None:
    """``folder/images/mosaic.tif`` (uint8, 0 in every band where no data) and ``folder/labels/mosaic.tif``
    (class codes, 255 unlabelled), without georeferencing: the layout of the workflow's GID-MTL datasets."""
    profile = {"driver": "GTiff", "width": image.shape[2], "height": image.shape[1], "nodata": 0,
               "compress": "deflate"}
    write_raster(Path(folder) / "images" / "mosaic.tif", image, profile)
    write_labels(Path(folder) / "labels" / "mosaic.tif", truth, profile)


def write_mosaics(data: Path, out: Path, limit: int | None = None) -> list[str]:
    """Write the mosaic of every collection found in ``data`` to ``out/<collection>/``; one line per mosaic."""
    lines = []
    for collection, unlabelled in COLLECTIONS.items():
        folder = data / collection
        if not (folder / "images").is_dir():
            continue
        names = tile_names(folder, limit)
        image, truth = build_mosaic([read_tile(folder, name, unlabelled) for name in names])
        write_mosaic(out / collection, image, truth)
        lines.append(f"{out / collection}: {len(names)} crops, {image.shape[2]}x{image.shape[1]} px")
    if not lines:
        raise ValueError(f"no GID-MTL collection under {data} (expected {' or '.join(COLLECTIONS)} with images/)")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding gid-mtl5/ and gid-mtl15/")
    parser.add_argument("--out", type=Path, required=True, help="folder to write <collection>/images, labels into")
    parser.add_argument("--limit", type=int, help="crops per mosaic, spread over the sorted names (default: all)")
    args = parser.parse_args(argv)
    try:
        lines = write_mosaics(args.data, args.out, args.limit)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
