"""The study across datasets: its tables (ours beside the papers' figures) and its report page."""

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .farmland import TOTAL_ID
from ..files import StrPath, atomic_path

STUDY_COLUMNS = ["dataset", "method", "ami_mean", "ami_std", "n_scenes", "published_ami", "published_source",
                 "status"]
STUDY_FARMLAND_COLUMNS = ["dataset", "iou", "precision", "recall", "n_patches", "n_pixels"]


def study_ami_table(ami_tables: Mapping[str, pd.DataFrame], *, published: Mapping[str, Mapping | None],
                    missing: Mapping[str, str]) -> pd.DataFrame:
    """One row per dataset and method: mean and standard deviation of the AMI over the scenes, their number,
    and the published AMI where ``published[dataset]`` (``{"ami": {method: value}, "source": ...}``) has one.

    A dataset of ``missing`` (name -> what is missing) gets a single row saying so.
    """
    rows = []
    for dataset, table in ami_tables.items():
        figures = published.get(dataset) or {}
        for method, scores in table.groupby("method", sort=False)["ami"]:
            paper = figures.get("ami", {}).get(method)
            rows.append(dict(dataset=dataset, method=method, ami_mean=scores.mean(), ami_std=scores.std(),
                             n_scenes=int(scores.count()), published_ami=paper,
                             published_source=figures.get("source") if paper is not None else None, status="ok"))
    for dataset, reason in missing.items():
        rows.append(dict(dataset=dataset, n_scenes=0, status=f"missing: {reason}"))
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def study_farmland_table(farmland_tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The pooled row (all patches) of each dataset's farmland IoU table."""
    rows = []
    for dataset, table in farmland_tables.items():
        total = table[table["patch_id"] == TOTAL_ID].iloc[0]
        rows.append(dict(dataset=dataset, iou=total["iou"], precision=total["precision"], recall=total["recall"],
                         n_patches=int((table["patch_id"] != TOTAL_ID).sum()), n_pixels=int(total["n_pixels"])))
    return pd.DataFrame(rows, columns=STUDY_FARMLAND_COLUMNS)


def paper_style(table: pd.DataFrame) -> pd.DataFrame:
    """The study table as the papers print theirs: a row per dataset, a column per method, cells
    ``mean ± sd (n)``, and the published figure in brackets where there is one."""
    cells = {}
    for row in table.itertuples():
        if row.status != "ok":
            cells[row.dataset] = {"note": row.status}
            continue
        cell = f"{row.ami_mean:.3f}" + ("" if np.isnan(row.ami_std) else f" ± {row.ami_std:.3f}") + f" ({row.n_scenes})"
        if not pd.isna(row.published_ami):
            cell += f" [paper {row.published_ami:.4f}]"
        cells.setdefault(row.dataset, {})[row.method] = cell
    return pd.DataFrame.from_dict(cells, orient="index").fillna("")


def _image_tag(path: StrPath, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def write_study_report(path: StrPath, *, ami: pd.DataFrame, farmland: pd.DataFrame | None,
                       figures: Sequence[tuple[str, StrPath]]) -> None:
    """A self-contained HTML page (figures embedded): the study table in the papers' form, the farmland IoU
    where it was measured, then each figure ``(caption, png path)``."""
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Study</title><style>",
             "body{font-family:sans-serif;margin:2em;max-width:70em} table{border-collapse:collapse}",
             "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:right} img{max-width:100%}</style></head>",
             "<body><h1>Unsupervised segmentation of remote-sensing images: the study</h1>",
             "<h2>AMI per dataset and method</h2><p>Mean ± standard deviation over the scenes (number of scenes); "
             "the paper's figure in brackets where one is published. Every value: results/study_ami.csv.</p>",
             paper_style(ami).to_html(escape=True)]
    if farmland is not None and len(farmland):
        parts += ["<h2>Cultivated land (ISAgrSC2 chain)</h2><p>IoU, precision and recall over all sampled patches "
                  "pooled (results/study_farmland_iou.csv).</p>", farmland.to_html(index=False, float_format="%.4f")]
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_image_tag(png, caption) for caption, png in figures]
    parts.append("</body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
