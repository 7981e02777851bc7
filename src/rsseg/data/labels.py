"""Decoding a dataset's label images (colour-coded RGB or integer codes) into class indices, and the majority
class of each segment of a segmentation.

A label encoding comes from the config::

    {"type": "colour", "classes": [{"name": "farmland", "colour": [0, 255, 0]}, ...]}
    {"type": "index",  "classes": [{"name": "agriculture", "value": 2}, ...]}

Class ``i`` of the list becomes index ``i``; any other colour or value (unlabelled, no-data, stray
compression colours) becomes :data:`rsseg.IGNORE_LABEL`.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import IGNORE_LABEL
from ..errors import InputError
from ..files import StrPath


def class_names(encoding: Mapping[str, Any]) -> list[str]:
    return [c["name"] for c in encoding["classes"]]


def class_indices(encoding: Mapping[str, Any], names: Sequence[str]) -> list[int]:
    """Indices of the named classes, e.g. the dataset's farmland classes."""
    known = class_names(encoding)
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(f"unknown class name(s) {missing}; the label encoding has {known}")
    return [known.index(n) for n in names]


def pack_rgb(rgb: ArrayLike) -> np.ndarray:
    """One uint32 ``0xRRGGBB`` per colour of RGB values ``(3, ...)``: a colour is then compared, counted or
    found unique as one number instead of three."""
    channels = np.asarray(rgb).astype(np.uint32)
    packed: np.ndarray = (channels[0] << 16) | (channels[1] << 8) | channels[2]
    return packed


def unpack_rgb(packed: int | np.integer) -> tuple[int, int, int]:
    """The ``(red, green, blue)`` of a colour packed by :func:`pack_rgb`."""
    packed = int(packed)
    return packed >> 16, packed >> 8 & 255, packed & 255


def decode_labels(raw: np.ndarray, encoding: Mapping[str, Any], path: StrPath = "<labels>") -> np.ndarray:
    """Turn a raw label array (``(bands, rows, cols)``) into a uint8 class-index map."""
    raw = np.asarray(raw)
    out = np.full(raw.shape[1:], IGNORE_LABEL, dtype=np.uint8)
    if encoding["type"] == "colour":
        if raw.shape[0] < 3:
            raise InputError(path, f"has {raw.shape[0]} band(s), a colour-coded label needs 3 (RGB)")
        if "colour_threshold" in encoding:
            raw = np.where(raw[:3] >= encoding["colour_threshold"], 255, 0)
        packed = pack_rgb(raw[:3])
        for index, cls in enumerate(encoding["classes"]):
            out[packed == pack_rgb(cls["colour"])] = index
    elif encoding["type"] == "index":
        if raw.shape[0] != 1:
            raise InputError(path, f"has {raw.shape[0]} bands, an index-coded label needs 1")
        for index, cls in enumerate(encoding["classes"]):
            out[raw[0] == cls["value"]] = index
    else:
        raise ValueError(f"unknown label encoding type {encoding['type']!r}")
    return out


def majority_classes(segments: np.ndarray, truth: np.ndarray, n_classes: int, valid: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The ground-truth class each segment overlaps most.

    Counts labelled pixels (truth in ``0..n_classes-1``, ``valid`` where given) per (segment, class).
    Returns ``(segment_ids, classes)``: the sorted segment ids and, for each, its majority class, or
    -1 where the segment covers no labelled pixel. Ties go to the lower class index.
    """
    segments, truth = np.asarray(segments), np.asarray(truth)
    if segments.shape != truth.shape:
        raise ValueError(f"segments {segments.shape} and truth {truth.shape} must be on the same grid")
    valid = np.ones(segments.shape, bool) if valid is None else np.asarray(valid, bool)
    ids, codes = np.unique(segments[valid], return_inverse=True)
    truth_valid = truth[valid].astype(np.int64)
    labelled = (truth_valid >= 0) & (truth_valid < n_classes)
    counts = np.bincount(codes[labelled] * n_classes + truth_valid[labelled],
                         minlength=len(ids) * n_classes).reshape(len(ids), n_classes)
    return ids, np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
