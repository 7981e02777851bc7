"""The parameter study of the superpixel FCN: AMI over the superpixel scale, the epochs and the classes."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..config import SENSITIVITY_PARAMETERS

SENSITIVITY_COLUMNS = ["varied", *SENSITIVITY_PARAMETERS, "ami", "ami_std", "n_scenes", "seconds"]


def varied_parameter(point: Mapping[str, Any], published: Mapping[str, Any]) -> str:
    """Which parameter a point of the study moves away from the published setting (``published`` for none)."""
    moved = [name for name in SENSITIVITY_PARAMETERS if float(point[name]) != float(published[name])]
    return moved[0] if moved else "published"


def sensitivity_table(points: Sequence[Mapping[str, Any]], scores: Sequence[Sequence[Mapping[str, Any]]]
                      ) -> pd.DataFrame:
    """One row per point (the published one first): the mean and standard deviation of the AMI over the
    scenes and the mean seconds. ``scores[i]`` are the per-scene score records of ``points[i]``."""
    published = points[0]
    rows = []
    for point, records in zip(points, scores, strict=True):
        ami = np.array([record["ami"] for record in records], dtype=float)
        rows.append(dict(varied=varied_parameter(point, published), **{k: point[k] for k in SENSITIVITY_PARAMETERS},
                         ami=np.nanmean(ami), ami_std=np.nanstd(ami, ddof=1) if ami.size > 1 else np.nan,
                         n_scenes=len(records), seconds=np.mean([record["seconds"] for record in records])))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
