"""The study's result tables: one row per scene and method, and the mean per method."""

from collections.abc import Iterable

import pandas as pd

from ..files import StrPath, read_json

SCORE_COLUMNS = ["ami", "fmi", "ari", "n_segments", "seconds"]


def load_scores(paths: Iterable[StrPath]) -> pd.DataFrame:
    rows = [read_json(p) for p in paths]
    table = pd.DataFrame(rows)
    table["seconds_per_megapixel"] = table["seconds"] / table["megapixels"]
    columns = ["scene", "method", *SCORE_COLUMNS, "seconds_per_megapixel", "n_pixels"]
    return table[columns].sort_values(["scene", "method"], ignore_index=True)


def summarise(table: pd.DataFrame, n_unscored: int = 0) -> pd.DataFrame:
    """Mean of every score per method, best AMI first, with the number of scenes behind it and the
    number of the dataset's scenes left out for having no scored pixel (``n_unscored``)."""
    numeric = [*SCORE_COLUMNS, "seconds_per_megapixel"]
    summary = table.groupby("method")[numeric].mean()
    summary.insert(0, "n_scenes", table.groupby("method").size())
    summary.insert(1, "n_unscored_scenes", n_unscored)
    return summary.sort_values("ami", ascending=False).reset_index()
