"""Preparing a dataset's scenes as analysis-ready GeoTIFFs: the configured bands, no data, decoded labels."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import IGNORE_LABEL
from ..errors import InputError
from ..files import StrPath
from .labels import decode_labels, label_census, label_codes
from .raster import open_raster, read_image, write_labels, write_raster

log = logging.getLogger(__name__)

UNSCORED_HINT = "fix the dataset's config or set skip_unscored_scenes: true"
"""What to do about a scene without a scored pixel."""


def invalid_mask(image: np.ndarray, at_or_below: float, rule: str) -> np.ndarray:
    """No-data pixels: bands at or below a value, in ``any`` band or in ``all`` of them."""
    low = image <= at_or_below
    return np.asarray(low.any(axis=0) if rule == "any" else low.all(axis=0))


def nonfinite_mask(image: np.ndarray) -> np.ndarray:
    """Pixels with a NaN or infinite value in any band (float images only; integers are always finite)."""
    if not np.issubdtype(image.dtype, np.floating):
        return np.zeros(image.shape[1:], dtype=bool)
    nonfinite: np.ndarray = ~np.isfinite(image).all(axis=0)
    return nonfinite


def scene_nodata(file_nodata: float | None, configured: float) -> float:
    """The value no-data pixels get in the prepared scene: the file's own where it is a number, else the
    configured one. NaN cannot mark no data there: nothing equals NaN, so later rules would take it as a value."""
    return configured if file_nodata is None or not np.isfinite(file_nodata) else file_nodata


def is_georeferenced(profile: Mapping[str, Any]) -> bool:
    return profile.get("crs") is not None or not profile["transform"].is_identity


def check_same_grid(label_path: StrPath, label_profile: Mapping[str, Any], image_path: StrPath,
                    image_profile: Mapping[str, Any]) -> None:
    """Labels must lie on the image's grid: same CRS and transform where both files are georeferenced.

    A label file without any georeferencing (a plain PNG mask, say) of the image's size is taken to be
    on its grid, as there is nothing to compare.
    """
    if not (is_georeferenced(label_profile) and is_georeferenced(image_profile)):
        return
    label_crs, image_crs = label_profile.get("crs"), image_profile.get("crs")
    label_transform, image_transform = label_profile["transform"], image_profile["transform"]
    pixel = max(abs(image_transform.a), abs(image_transform.e))
    if label_crs != image_crs or not label_transform.almost_equals(image_transform, precision=1e-6 * pixel):
        raise InputError(label_path, f"is on another grid than {image_path}: CRS {label_crs} and transform "
                                     f"{tuple(label_transform)[:6]} against {image_crs} and "
                                     f"{tuple(image_transform)[:6]}; labels must be on the image's grid")


def class_colours(encoding: Mapping[str, Any]) -> list[list[int]]:
    """The classes' own colours where the labels are colour-coded (the prepared labels' colour table shows a
    class as the publisher does); none for index codes."""
    return [c["colour"] for c in encoding["classes"]] if encoding["type"] == "colour" else []


def prepare_scene(image_path: StrPath, label_path: StrPath, *, image_out: StrPath, label_out: StrPath,
                  dataset: Mapping[str, Any], skip_unscored: bool = False, georeferenced: bool = True
                  ) -> dict[str, Any]:
    """Write a scene's selected bands and its decoded labels as GeoTIFFs on the image's grid.

    ``dataset`` is the dataset's config entry (``bands``, ``band_names``, ``nodata`` and ``labels`` are read).
    No-data pixels get the nodata value in every band and :data:`IGNORE_LABEL` in the labels. Labels
    of another size, or on another georeferenced grid, are an error. So is a scene without a scored
    pixel (every pixel no data, or no label of a configured class where the image is valid), unless
    ``skip_unscored``: then it is written with a warning, the summary's ``scored_pixels`` is 0 and its
    ``unscored`` names the file and the problem. ``georeferenced``: whether the dataset's images should have a CRS
    (:func:`rsseg.scenes.expects_georeferencing`), else one missing is not worth a warning.
    """
    bands = dataset["bands"]
    with open_raster(image_path) as src:  # PNG and JPEG carry no CRS: the workflow says so once for the dataset
        if src.count < max(bands):
            raise InputError(image_path, f"has {src.count} band(s), the config selects band {max(bands)}")
        if src.crs is None and georeferenced:
            log.warning("%s has no CRS; writing the scene without one", image_path)
    image, profile = read_image(image_path)
    raw_labels, raw_profile = read_image(label_path)
    image = image[[b - 1 for b in bands]]
    nodata_cfg = dataset["nodata"]
    nodata = scene_nodata(profile.get("nodata"), nodata_cfg["value"])
    # NaN and infinite pixels are no data here, the first rule that sees them, so no method and no score
    # ever computes with them (one NaN makes an FCN's losses NaN and a K-means fit fail)
    nonfinite = nonfinite_mask(image)
    invalid = invalid_mask(image, nodata_cfg["at_or_below"], nodata_cfg["bands"]) | nonfinite
    image[:, invalid] = nodata

    if raw_labels.shape[1:] != image.shape[1:]:
        raise InputError(label_path, f"is {raw_labels.shape[1]}x{raw_labels.shape[2]} px, expected "
                                     f"{image.shape[1]}x{image.shape[2]} px like {Path(image_path).name}")
    check_same_grid(label_path, raw_profile, image_path, profile)
    labels = decode_labels(raw_labels, dataset["labels"], label_path)
    labels[invalid] = IGNORE_LABEL
    labelled = labels != IGNORE_LABEL
    # valid pixels of a value that is no class are not scored: say which, as a typo in a class's colour or value
    # would otherwise drop the class silently
    unlabelled = ~invalid & ~labelled
    census = label_census(label_codes(raw_labels[:, unlabelled], dataset["labels"]), dataset["labels"])
    if unlabelled.any():
        log.info("%s: %d of %d valid pixels hold no configured class and are not scored: %s", label_path,
                 np.count_nonzero(unlabelled), np.count_nonzero(~invalid), census)
    unscored = None
    if not labelled.any():
        if invalid.all():
            path, problem = image_path, (f"has no valid pixel: every pixel is no data (nodata {nodata}, or at or "
                                         f"below {nodata_cfg['at_or_below']} in {nodata_cfg['bands']} band(s))")
        else:
            names = [c["name"] for c in dataset["labels"]["classes"]]
            path, problem = label_path, (f"has no pixel of the configured classes {names} where the image is "
                                         f"valid; it holds {census}")
        if not skip_unscored:
            raise InputError(path, f"{problem}; {UNSCORED_HINT}")
        log.warning("%s: %s; the scene is left out of the score tables (skip_unscored_scenes)", path, problem)
        unscored = {"file": str(path), "problem": problem}

    scene_profile = {k: profile[k] for k in ("crs", "transform", "width", "height")}
    scene_profile.update(driver="GTiff", nodata=nodata, compress="deflate", interleave="band")
    write_raster(image_out, image, scene_profile, band_names=dataset["band_names"])
    write_labels(label_out, labels, scene_profile, colours=class_colours(dataset["labels"]))
    n_nonfinite = int(np.count_nonzero(nonfinite))
    log.info("prepared %s: %d bands, %dx%d px, %.1f%% no-data (%d NaN or infinite pixels), %.1f%% labelled",
             Path(image_path).name, len(bands), image.shape[1], image.shape[2], 100 * invalid.mean(), n_nonfinite,
             100 * labelled.mean())
    return {"valid_fraction": float(1 - invalid.mean()), "labelled_fraction": float(labelled.mean()),
            "nonfinite_pixels": n_nonfinite, "scored_pixels": int(np.count_nonzero(labelled)), "unscored": unscored,
            "class_counts": np.bincount(labels[labelled], minlength=len(dataset["labels"]["classes"])).tolist()}
