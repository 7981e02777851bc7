"""Scoring farmland masks of patches against the patches' class labels: per patch and pooled."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import IGNORE_LABEL
from ..data.raster import read_labels
from ..files import StrPath
from .metrics import farmland_scores, overlap_scores

FARMLAND_COLUMNS = ["scene", "patch_id", "iou", "precision", "recall", "tp", "fp", "fn", "n_pixels"]
TOTAL_ID = "total"


def patch_scores(mask_path: StrPath, label_path: StrPath, farmland_classes: Sequence[int]) -> dict[str, float]:
    """Scores of one predicted mask (1 = cultivated) against a class raster; unlabelled pixels are not scored."""
    truth = read_labels(label_path)
    predicted = read_labels(mask_path, shape=truth.shape)
    valid = truth != IGNORE_LABEL
    scores = farmland_scores(predicted == 1, np.isin(truth, list(farmland_classes)), valid)
    return {**scores, "n_pixels": int(np.count_nonzero(valid))}


def farmland_table(scenes: Sequence[tuple[pd.DataFrame, StrPath]], *, farmland_classes: Sequence[int]) -> pd.DataFrame:
    """One row per patch of every scene's ``(manifest, masks_dir)`` (mask ``<masks_dir>/<patch_id>.tif``) and a
    last row, scene ``all`` and patch_id ``total``, scoring every patch's pixels pooled (not a mean of patch
    scores)."""
    rows = []
    for manifest, masks_dir in scenes:
        for patch in manifest.itertuples():
            scores = patch_scores(Path(masks_dir) / f"{patch.patch_id}.tif", str(patch.label), farmland_classes)
            rows.append({"scene": patch.scene, "patch_id": patch.patch_id, **scores})
    table = pd.DataFrame(rows, columns=FARMLAND_COLUMNS)
    tp, fp, fn = (int(table[c].sum()) for c in ("tp", "fp", "fn"))
    total = {"scene": "all", "patch_id": TOTAL_ID, **overlap_scores(tp, fp, fn),
             "n_pixels": int(table["n_pixels"].sum())}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
