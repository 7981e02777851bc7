"""Datasets of the study: unpacking a fetched source and preparing scenes as analysis-ready GeoTIFFs."""

import logging
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import IGNORE_LABEL
from .errors import InputError
from .labels import decode_labels
from .raster import open_raster, read_image, write_labels, write_raster

log = logging.getLogger(__name__)


ARCHIVE_SUFFIXES = (".zip", ".whl", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def unpack(archive, dest):
    """Unpack a zip (wheels included) or tar archive into ``dest``, which appears only when complete.

    The format is read from the content; any other file is placed in ``dest`` as it is, unless its
    name says it is an archive, which then must be damaged.
    """
    archive, dest = Path(archive), Path(dest)
    is_zip, is_tar = zipfile.is_zipfile(archive), tarfile.is_tarfile(archive)
    if not (is_zip or is_tar) and archive.name.lower().endswith(ARCHIVE_SUFFIXES):
        raise InputError(archive, "is a damaged archive (neither a readable zip nor tar)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if is_zip:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        elif is_tar:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        else:
            shutil.copyfile(archive, tmp / archive.name)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
        raise InputError(archive, f"is a damaged archive ({err})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def link_folder(folder, dest):
    """Expose a local copy of a dataset under ``dest`` by symbolic links, without copying gigabytes."""
    folder, dest = Path(folder).resolve(), Path(dest)
    if not folder.is_dir():
        raise InputError(folder, "is not a folder (the dataset's source is a local path)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    for entry in folder.iterdir():
        (tmp / entry.name).symlink_to(entry)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)


def invalid_mask(image, at_or_below, rule):
    """No-data pixels: bands at or below a value, in ``any`` band or in ``all`` of them."""
    low = image <= at_or_below
    return low.any(axis=0) if rule == "any" else low.all(axis=0)


def prepare_scene(image_path, label_path, image_out, label_out, dataset):
    """Write a scene's selected bands and its decoded labels as GeoTIFFs on the image's grid.

    No-data pixels get the nodata value in every band and :data:`IGNORE_LABEL` in the labels.
    """
    bands = dataset["bands"]
    with open_raster(image_path) as src:
        if src.count < max(bands):
            raise InputError(image_path, f"has {src.count} band(s), the config selects band {max(bands)}")
        if src.crs is None:
            log.warning("%s has no CRS; writing the scene without one", image_path)
    image, profile = read_image(image_path)
    image = image[[b - 1 for b in bands]]
    nodata_cfg = dataset["nodata"]
    nodata = profile.get("nodata")
    if nodata is None:
        nodata = nodata_cfg["value"]
    invalid = invalid_mask(image, nodata_cfg["at_or_below"], nodata_cfg["bands"])
    image[:, invalid] = nodata

    raw_labels, _ = read_image(label_path)
    if raw_labels.shape[1:] != image.shape[1:]:
        raise InputError(label_path, f"is {raw_labels.shape[1]}x{raw_labels.shape[2]} px, expected "
                                     f"{image.shape[1]}x{image.shape[2]} px like {Path(image_path).name}")
    labels = decode_labels(raw_labels, dataset["labels"], label_path)
    labels[invalid] = IGNORE_LABEL

    scene_profile = {k: profile[k] for k in ("crs", "transform", "width", "height")}
    scene_profile.update(driver="GTiff", nodata=nodata, compress="deflate", interleave="band")
    write_raster(image_out, image, scene_profile)
    write_labels(label_out, labels, scene_profile)
    labelled = labels != IGNORE_LABEL
    log.info("prepared %s: %d bands, %dx%d px, %.1f%% no-data, %.1f%% labelled", Path(image_path).name,
             len(bands), image.shape[1], image.shape[2], 100 * invalid.mean(), 100 * labelled.mean())
    return {"valid_fraction": float(1 - invalid.mean()), "labelled_fraction": float(labelled.mean()),
            "class_counts": np.bincount(labels[labelled], minlength=len(dataset["labels"]["classes"])).tolist()}
