"""Tiny copies of the study's datasets in their real layouts and label encodings, written by the tests.

Each writer puts a few small scenes under ``root`` as the publisher's archive (or the manual download)
unpacks them, and returns ``{scene name: (class index map, image bands)}``: the class map the workflow
must decode (IGNORE_LABEL where unlabelled) and the image's bands in file order.
"""

import zipfile
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image

from rsseg import IGNORE_LABEL

HEIGHT, WIDTH = 40, 48
ISPRS_COLOURS = [(255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]
DEEPGLOBE_COLOURS = [(0, 255, 255), (255, 255, 0), (255, 0, 255), (0, 255, 0), (0, 0, 255), (255, 255, 255)]


def class_map(n_classes, seed, unlabelled_rows=4):
    """Blocks of 8x8 px of random classes; the first rows unlabelled."""
    rng = np.random.default_rng(seed)
    classes = np.kron(rng.integers(0, n_classes, (HEIGHT // 8, WIDTH // 8)), np.ones((8, 8), dtype=np.int64))
    classes = classes.astype(np.uint8)
    classes[:unlabelled_rows] = IGNORE_LABEL
    return classes


def image_of(classes, bands, seed):
    """A uint8 image whose pixels depend on their class, so the scene can be segmented."""
    rng = np.random.default_rng(seed)
    spectra = rng.integers(30, 220, (256, bands))
    noisy = spectra[classes].transpose(2, 0, 1) + rng.normal(0, 4, (bands, HEIGHT, WIDTH))
    return np.clip(noisy, 1, 255).astype(np.uint8)


def write_png(path, array):
    """``array``: (h, w) or (bands, h, w) uint8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    array = array if array.ndim == 2 else np.moveaxis(array, 0, -1)
    Image.fromarray(array).save(path)


def write_tiff(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    array = array[np.newaxis] if array.ndim == 2 else array
    with rasterio.open(path, "w", driver="GTiff", width=WIDTH, height=HEIGHT, count=array.shape[0],
                       dtype=array.dtype.name) as dst:
        dst.write(array)


def colours(classes, palette):
    """RGB (3, h, w) of a class map, black where unlabelled."""
    table = np.zeros((256, 3), dtype=np.uint8)
    table[:len(palette)] = palette
    return table[classes].transpose(2, 0, 1)


def index_codes(classes, first_value):
    """The index-coded mask of a class map: class ``i`` is ``first_value + i``, 0 where unlabelled."""
    return np.where(classes == IGNORE_LABEL, 0, classes.astype(np.int64) + first_value).astype(np.uint8)


def write_loveda(root, seed=0):
    """``{split}/{domain}/images_png/{id}.png`` RGB and ``masks_png/{id}.png``: 0 no data, 1..7 the classes."""
    scenes = {}
    for i, (split, domain, tile) in enumerate([("Train", "Urban", "1366"), ("Val", "Rural", "3514")]):
        classes = class_map(7, seed + i)
        image = image_of(classes, 3, seed + i)
        write_png(Path(root) / split / domain / "images_png" / f"{tile}.png", image)
        write_png(Path(root) / split / domain / "masks_png" / f"{tile}.png", index_codes(classes, 1))
        scenes[f"{split}_{domain}_{tile}"] = (classes, image)
    return scenes


def write_gid15_zip(root, seed=0):
    """gid-15.zip unpacked: ``GID/img_dir/{split}/*.tif`` RGB, ``GID/ann_dir/{split}/*_15label.png`` 0..15; the
    test split has no masks."""
    scenes = {}
    for i, split in enumerate(["train", "val"]):
        name = f"GF2_PMS1__L1A000056453{i}-MSS1"
        classes = class_map(15, seed + i)
        image = image_of(classes, 3, seed + i)
        write_tiff(Path(root) / "GID" / "img_dir" / split / f"{name}.tif", image)
        write_png(Path(root) / "GID" / "ann_dir" / split / f"{name}_15label.png", index_codes(classes, 1))
        scenes[f"{split}_{name}"] = (classes, image)
    write_tiff(Path(root) / "GID" / "img_dir" / "test" / "GF2_PMS2__unlabelled.tif", image)
    return scenes


def write_vaihingen(root, seed=0):
    """``top/top_mosaic_09cm_area{N}.tif`` IRRG and ``ground_truth/...`` colour-coded with clutter; area3 has no
    ground truth."""
    scenes = {}
    for area in (1, 2, 3):
        classes = class_map(6, seed + area, unlabelled_rows=0)
        image = image_of(classes, 3, seed + area)
        write_tiff(Path(root) / "top" / f"top_mosaic_09cm_area{area}.tif", image)
        if area < 3:
            write_tiff(Path(root) / "ground_truth" / f"top_mosaic_09cm_area{area}.tif", colours(classes, ISPRS_COLOURS))
            scenes[f"area{area}"] = (classes, image)
    return scenes


def write_potsdam(root, seed=0):
    """``4_Ortho_RGBIR/top_potsdam_2_10_RGBIR.tif`` (R, G, B, IR) and ``5_Labels_all/top_potsdam_2_10_label.tif``."""
    classes = class_map(6, seed, unlabelled_rows=0)
    image = image_of(classes, 4, seed)
    write_tiff(Path(root) / "4_Ortho_RGBIR" / "top_potsdam_2_10_RGBIR.tif", image)
    write_tiff(Path(root) / "5_Labels_all" / "top_potsdam_2_10_label.tif", colours(classes, ISPRS_COLOURS))
    return {"2_10": (classes, image)}


def write_deepglobe(root, seed=0):
    """``train/{id}_sat.jpg`` RGB and ``train/{id}_mask.png`` colours with compression-like noise; black unknown."""
    scenes = {}
    rng = np.random.default_rng(seed)
    for i, tile in enumerate(["100694", "102122"]):
        classes = class_map(6, seed + i)
        image = image_of(classes, 3, seed + i)
        write_png(Path(root) / "train" / f"{tile}_sat.jpg", image)
        mask = colours(classes, DEEPGLOBE_COLOURS).astype(np.int64)
        mask = np.clip(mask + rng.integers(-3, 4, mask.shape), 0, 255).astype(np.uint8)
        write_png(Path(root) / "train" / f"{tile}_mask.png", mask)
        scenes[tile] = (classes, image)
    return scenes


def zip_folder(archive, folder, arcroot=""):
    """Zip every file under ``folder`` into ``archive``, under ``arcroot`` (a publisher's archive layout)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, str(Path(arcroot) / path.relative_to(folder)))


def write_vaihingen_zips(root, scratch, seed=0):
    """The two zips ISPRS sends for Vaihingen: the orthophotos (``top/``) and the complete ground truth, flat."""
    scenes = write_vaihingen(scratch, seed)
    zip_folder(Path(root) / "ISPRS_semantic_labeling_Vaihingen.zip", Path(scratch) / "top", "top")
    zip_folder(Path(root) / "ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE.zip",
               Path(scratch) / "ground_truth")
    return scenes


def write_potsdam_zip(root, scratch, seed=0):
    """Potsdam.zip as ISPRS's download wraps it: ``Potsdam/4_Ortho_RGBIR.zip`` (its folder inside) and
    ``Potsdam/5_Labels_all.zip`` (flat)."""
    scenes = write_potsdam(Path(scratch) / "unpacked", seed)
    inner = Path(scratch) / "Potsdam"
    zip_folder(inner / "4_Ortho_RGBIR.zip", Path(scratch) / "unpacked" / "4_Ortho_RGBIR", "4_Ortho_RGBIR")
    zip_folder(inner / "5_Labels_all.zip", Path(scratch) / "unpacked" / "5_Labels_all")
    zip_folder(Path(root) / "Potsdam.zip", inner, "Potsdam")
    return scenes


WRITERS = {"loveda": write_loveda, "gid15-zip": write_gid15_zip, "vaihingen": write_vaihingen,
           "potsdam": write_potsdam, "deepglobe": write_deepglobe}
"""The writer of each dataset of config/config.yaml that the tests rebuild in its real layout."""

AS_DELIVERED = {"vaihingen": write_vaihingen_zips, "potsdam": write_potsdam_zip}
"""Writers of the archives a publisher sends, as they come (``writer(root, scratch)``)."""
