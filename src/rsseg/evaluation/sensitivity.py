"""The parameter study of the superpixel FCN: AMI over the superpixel scale, the epochs and the classes."""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..config import SENSITIVITY_PARAMETERS
from .spread import SPREAD_COLUMNS, seed_spread

SENSITIVITY_COLUMNS = ["varied", *SENSITIVITY_PARAMETERS, *SPREAD_COLUMNS, "seconds"]


def varied_parameter(point: Mapping[str, Any], published: Mapping[str, Any]) -> str:
    """Which parameter a point of the study moves away from the published setting (``published`` for none)."""
    moved = [name for name in SENSITIVITY_PARAMETERS if float(point[name]) != float(published[name])]
    return moved[0] if moved else "published"


def sensitivity_table(points: Sequence[Mapping[str, Any]], scores: Sequence[Sequence[Mapping[str, Any]]]
                      ) -> pd.DataFrame:
    """One row per point (the published one first): the AMI's mean and spread over seeds and scenes
    (:func:`rsseg.evaluation.spread.seed_spread`) and the mean seconds. ``scores[i]`` are the score records of
    ``points[i]``, one per scene and seed (keys ``scene``, ``seed``, ``ami``, ``seconds``)."""
    published = points[0]
    rows = []
    for point, records in zip(points, scores, strict=True):
        runs = pd.DataFrame(list(records), columns=["scene", "seed", "ami", "seconds"])
        rows.append(dict(varied=varied_parameter(point, published), **{k: point[k] for k in SENSITIVITY_PARAMETERS},
                         **seed_spread(runs), seconds=runs["seconds"].mean()))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
