"""The study across datasets: its tables, ours beside the papers' figures (the page: :mod:`rsseg.report.study_page`)."""

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .farmland import TOTAL_ID
from .spread import SPREAD_COLUMNS, seed_spread

STUDY_COLUMNS = ["dataset", "method", *SPREAD_COLUMNS, "published_ami", "published_source", "status"]
STUDY_FARMLAND_COLUMNS = ["dataset", "iou", "precision", "recall", "n_patches", "n_pixels"]


def study_ami_table(ami_tables: Mapping[str, pd.DataFrame], *, published: Mapping[str, Mapping[str, Any] | None],
                    missing: Mapping[str, str]) -> pd.DataFrame:
    """One row per dataset and method: the AMI's mean and spread over seeds and scenes
    (:func:`rsseg.evaluation.spread.seed_spread`; ``ami_tables`` have a row per scene, method and seed) and the
    published AMI where ``published[dataset]`` (``{"ami": {method: value}, "source": ...}``) has one.

    A dataset of ``missing`` (name -> what is missing) gets a single row saying so.
    """
    rows = []
    for dataset, table in ami_tables.items():
        figures = published.get(dataset) or {}
        for method, scores in table.groupby("method", sort=False):
            paper = figures.get("ami", {}).get(method)
            rows.append(dict(dataset=dataset, method=method, **seed_spread(scores), published_ami=paper,
                             published_source=figures.get("source") if paper is not None else None, status="ok"))
    for dataset, reason in missing.items():
        rows.append(dict(dataset=dataset, n_scenes=0, n_seeds=0, status=f"missing: {reason}"))
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def study_farmland_table(farmland_tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The pooled row (all patches) of each dataset's farmland IoU table."""
    rows = []
    for dataset, table in farmland_tables.items():
        total = table[table["patch_id"] == TOTAL_ID].iloc[0]
        rows.append(dict(dataset=dataset, iou=total["iou"], precision=total["precision"], recall=total["recall"],
                         n_patches=int((table["patch_id"] != TOTAL_ID).sum()), n_pixels=int(total["n_pixels"])))
    return pd.DataFrame(rows, columns=STUDY_FARMLAND_COLUMNS)
