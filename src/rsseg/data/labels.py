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


def label_codes(raw: np.ndarray, encoding: Mapping[str, Any], path: StrPath = "<labels>") -> np.ndarray:
    """One integer per pixel of raw labels ``(bands, ...)`` for the label it holds, as the encoding compares
    labels: the value of an index-coded label, the packed colour (:func:`pack_rgb`, after ``colour_threshold``)
    of a colour-coded one."""
    raw = np.asarray(raw)
    if encoding["type"] == "colour":
        if raw.shape[0] < 3:
            raise InputError(path, f"has {raw.shape[0]} band(s), a colour-coded label needs 3 (RGB)")
        if "colour_threshold" in encoding:
            raw = np.where(raw[:3] >= encoding["colour_threshold"], 255, 0)
        return pack_rgb(raw[:3])
    if encoding["type"] == "index":
        if raw.shape[0] != 1:
            raise InputError(path, f"has {raw.shape[0]} bands, an index-coded label needs 1")
        values: np.ndarray = raw[0]
        return values
    raise ValueError(f"unknown label encoding type {encoding['type']!r}")


def class_code(cls: Mapping[str, Any], encoding: Mapping[str, Any]) -> int:
    """The :func:`label_codes` code of a class of the encoding."""
    return int(pack_rgb(cls["colour"])) if encoding["type"] == "colour" else int(cls["value"])


def decode_labels(raw: np.ndarray, encoding: Mapping[str, Any], path: StrPath = "<labels>") -> np.ndarray:
    """Turn a raw label array (``(bands, rows, cols)``) into a uint8 class-index map."""
    codes = label_codes(raw, encoding, path)
    out = np.full(codes.shape, IGNORE_LABEL, dtype=np.uint8)
    for index, cls in enumerate(encoding["classes"]):
        out[codes == class_code(cls, encoding)] = index
    return out


def label_census(codes: np.ndarray, encoding: Mapping[str, Any], limit: int = 8) -> str:
    """The labels among :func:`label_codes` ``codes`` with their pixel counts, most frequent first, for a
    message: ``(0, 0, 0): 1200 px, (7, 7, 7): 34 px`` (colours) or ``0: 1200 px`` (values)."""
    values, counts = np.unique(codes, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    named = [f"{unpack_rgb(value) if encoding['type'] == 'colour' else int(value)}: {int(count)} px"
             for value, count in zip(values[order[:limit]], counts[order[:limit]], strict=True)]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(named) + more


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
