"""The study's result tables: one row per scene, method and seed, and the mean and spread per method."""

from collections.abc import Iterable

import pandas as pd

from ..files import StrPath, read_json
from .spread import SPREAD_COLUMNS, seed_spread

SCORE_COLUMNS = ["ami", "fmi", "ari", "matched_accuracy", "matched_miou", "many_to_one_accuracy", "n_segments",
                 "seconds", "cpu_seconds"]
MEAN_COLUMNS = ["fmi", "ari", "matched_accuracy", "matched_miou", "many_to_one_accuracy", "n_segments", "seconds",
                "cpu_seconds", "seconds_per_megapixel"]
"""Scores the summary gives as a plain mean over scenes and seeds (NaN where a run has none: the matched scores
of a map with more segments than classes); the AMI gets its spread too."""


def load_scores(paths: Iterable[StrPath]) -> pd.DataFrame:
    """The score records (:mod:`rsseg.evaluation.metrics`, with ``scene``, ``method``, ``seed``, ``seconds`` and
    ``cpu_seconds`` (wall and CPU seconds of the method, :func:`rsseg.scripting.stopwatch`), ``megapixels``,
    the ``threads`` the job ran with and the ``setting`` its network computed in, empty for methods without
    one) as one table."""
    rows = [read_json(p) for p in paths]
    table = pd.DataFrame(rows)
    table["seconds_per_megapixel"] = table["seconds"] / table["megapixels"]
    columns = ["scene", "method", "seed", *SCORE_COLUMNS, "seconds_per_megapixel", "n_pixels", "threads", "setting"]
    return table[columns].sort_values(["scene", "method", "seed"], ignore_index=True)


def summarise(table: pd.DataFrame, n_unscored: int = 0) -> pd.DataFrame:
    """Per method, best mean AMI first: the AMI's mean and spread over seeds and scenes
    (:func:`rsseg.evaluation.spread.seed_spread`), the number of the dataset's scenes left out for having no
    scored pixel (``n_unscored``), and the mean of the other scores over scenes and seeds."""
    rows = [{"method": method, **seed_spread(runs), "n_unscored_scenes": n_unscored,
             **runs[MEAN_COLUMNS].mean(skipna=False).to_dict()} for method, runs in table.groupby("method")]
    summary = pd.DataFrame(rows, columns=["method", *SPREAD_COLUMNS, "n_unscored_scenes", *MEAN_COLUMNS])
    return summary.sort_values("ami_mean", ascending=False, ignore_index=True)
