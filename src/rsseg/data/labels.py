"""Decoding a dataset's label images (colour-coded RGB or integer codes) into class indices.

A label encoding comes from the config::

    {"type": "colour", "classes": [{"name": "farmland", "colour": [0, 255, 0]}, ...]}
    {"type": "index",  "classes": [{"name": "agriculture", "value": 2}, ...]}

Class ``i`` of the list becomes index ``i``; any other colour or value (unlabelled, no-data, stray
compression colours) becomes :data:`rsseg.IGNORE_LABEL`.
"""

import numpy as np

from .. import IGNORE_LABEL
from ..errors import InputError


def class_names(encoding):
    return [c["name"] for c in encoding["classes"]]


def class_indices(encoding, names):
    """Indices of the named classes, e.g. the dataset's farmland classes."""
    known = class_names(encoding)
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(f"unknown class name(s) {missing}; the label encoding has {known}")
    return [known.index(n) for n in names]


def decode_labels(raw, encoding, path="<labels>"):
    """Turn a raw label array (``(bands, rows, cols)``) into a uint8 class-index map."""
    raw = np.asarray(raw)
    out = np.full(raw.shape[1:], IGNORE_LABEL, dtype=np.uint8)
    if encoding["type"] == "colour":
        if raw.shape[0] < 3:
            raise InputError(path, f"has {raw.shape[0]} band(s), a colour-coded label needs 3 (RGB)")
        if "colour_threshold" in encoding:
            raw = np.where(raw[:3] >= encoding["colour_threshold"], 255, 0)
        # one integer per colour, so matching a class is one comparison instead of three
        packed = (raw[0].astype(np.uint32) << 16) | (raw[1].astype(np.uint32) << 8) | raw[2].astype(np.uint32)
        for index, cls in enumerate(encoding["classes"]):
            r, g, b = cls["colour"]
            out[packed == ((r << 16) | (g << 8) | b)] = index
    elif encoding["type"] == "index":
        if raw.shape[0] != 1:
            raise InputError(path, f"has {raw.shape[0]} bands, an index-coded label needs 1")
        for index, cls in enumerate(encoding["classes"]):
            out[raw[0] == cls["value"]] = index
    else:
        raise ValueError(f"unknown label encoding type {encoding['type']!r}")
    return out
