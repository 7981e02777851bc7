"""Methods compared at the same number of clusters: AMI rises with the number of segments, so a row with more
clusters is not better for that alone. The workflow runs a method at ``k`` clusters as a method of its own,
``<method>_k<k>`` (:func:`matched_method`), scored like any other; the control at the superpixel FCN's own
number of segments, per seed and scene, is ``superpixel_kmeans_kfcn``."""

import re

import pandas as pd

from .spread import SPREAD_COLUMNS, seed_spread
from .tables import MEAN_COLUMNS

FCN = "superpixel_fcn"
AT_FCN_COUNT = "fcn"
"""The number of clusters of a control run at the FCN's own segment count (of the same seed and scene)."""
EMERGENT = "emergent"
"""The FCN's number of clusters: whatever its training ends with."""
MATCHED_NAME = re.compile(rf"^(?P<method>.+)_k(?P<clusters>\d+|{AT_FCN_COUNT})$")


def matched_method(method: str, clusters: int | str) -> str:
    """The name of ``method`` run at ``clusters`` clusters (a number, or :data:`AT_FCN_COUNT`)."""
    return f"{method}_k{clusters}"


def split_method(name: str) -> tuple[str, str]:
    """``(method, clusters)`` of a run's method name: :func:`matched_method`'s parts, or the FCN's
    :data:`EMERGENT` count."""
    if name == FCN:
        return FCN, EMERGENT
    match = MATCHED_NAME.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a method at a number of clusters (<method>_k<number> or {FCN})")
    return match["method"], match["clusters"]


def clusters_table(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per method and number of clusters from a score table (:func:`rsseg.evaluation.tables.load_scores`)
    of matched runs and the FCN's: the AMI's mean and spread over seeds and scenes, the segments the maps have
    and the mean of the other scores. Rows go by method, then by number of clusters; the FCN's and the control
    at its count come first."""
    parts = scores["method"].map(split_method)
    table = scores.assign(method=[method for method, _ in parts], clusters=[clusters for _, clusters in parts])
    rows = [{"method": method, "clusters": clusters, **seed_spread(runs), **runs[MEAN_COLUMNS].mean(skipna=False)}
            for (method, clusters), runs in table.groupby(["method", "clusters"], sort=False)]
    summary = pd.DataFrame(rows, columns=["method", "clusters", *SPREAD_COLUMNS, *MEAN_COLUMNS])

    fcn_first = summary["clusters"].isin([EMERGENT, AT_FCN_COUNT])
    counts = pd.to_numeric(summary["clusters"].where(~fcn_first), errors="coerce")
    order = summary.assign(first=~fcn_first, count=counts).sort_values(["first", "method", "count"], kind="stable")
    return summary.loc[order.index].reset_index(drop=True)
