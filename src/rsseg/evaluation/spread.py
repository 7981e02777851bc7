"""A score's mean and spread over the seeds of the study and over the scenes of a dataset.

Standard deviations are sample ones (``ddof=1``): the seeds and scenes are a sample of those that could
have been run. With one seed (or one scene) that spread is unknown, so it is NaN, not 0: a 0 would claim
that the seed does not move the score.
"""

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

SPREAD_COLUMNS = ["ami_mean", "ami_sd_seeds", "ami_sd_scenes", "n_scenes", "n_seeds"]


def mean_and_sd(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of ``values`` (NaN left out); the sd is NaN for fewer than two values
    and the mean NaN for none."""
    array = np.asarray(list(values), dtype=float)
    array = array[~np.isnan(array)]
    mean = float(array.mean()) if array.size else math.nan
    sd = float(array.std(ddof=1)) if array.size > 1 else math.nan
    return mean, sd


def seed_spread(scores: pd.DataFrame, column: str = "ami") -> dict[str, float]:
    """The spread of ``column`` over the rows of one method (or one point of the parameter study), one row per
    scene and seed (columns ``scene``, ``seed``, ``column``):

    - ``<column>_mean``: the mean over scenes of each scene's mean over seeds;
    - ``<column>_sd_seeds``: the sd over seeds of each seed's mean over scenes, how much the reported mean moves
      with the seed;
    - ``<column>_sd_scenes``: the sd over scenes of each scene's mean over seeds, how much the scenes differ;
    - ``n_scenes``, ``n_seeds``.
    """
    per_scene = scores.groupby("scene")[column].mean()
    per_seed = scores.groupby("seed")[column].mean()
    mean, sd_scenes = mean_and_sd(per_scene)
    return {f"{column}_mean": mean, f"{column}_sd_seeds": mean_and_sd(per_seed)[1],
            f"{column}_sd_scenes": sd_scenes, "n_scenes": len(per_scene), "n_seeds": len(per_seed)}
