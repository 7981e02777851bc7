"""The study's result tables: one row per scene and method, and the mean per method."""

import json

import pandas as pd

SCORE_COLUMNS = ["ami", "fmi", "ari", "n_segments", "seconds"]


def load_scores(paths):
    rows = [json.loads(open(p).read()) for p in paths]
    table = pd.DataFrame(rows)
    table["seconds_per_megapixel"] = table["seconds"] / table["megapixels"]
    columns = ["scene", "method", *SCORE_COLUMNS, "seconds_per_megapixel", "n_pixels"]
    return table[columns].sort_values(["scene", "method"], ignore_index=True)


def summarise(table):
    """Mean of every score per method, best AMI first, with the number of scenes behind it."""
    numeric = [*SCORE_COLUMNS, "seconds_per_megapixel"]
    summary = table.groupby("method")[numeric].mean()
    summary.insert(0, "n_scenes", table.groupby("method").size())
    return summary.sort_values("ami", ascending=False).reset_index()
