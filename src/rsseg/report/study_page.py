"""The study's one-page summary: the study table in the papers' form, the farmland IoU and the figures,
in one self-contained HTML file."""

import base64
import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import StrPath, atomic_path


def paper_style(table: pd.DataFrame) -> pd.DataFrame:
    """The study table as the papers print theirs: a row per dataset, a column per method, cells
    ``mean ± sd over seeds (scenes x seeds)``, and the published figure in brackets where there is one."""
    cells: dict[str, dict[str, str]] = {}
    for row in table.to_dict("records"):
        if row["status"] != "ok":
            cells[row["dataset"]] = {"note": row["status"]}
            continue
        cell = f"{row['ami_mean']:.3f}" + ("" if np.isnan(row["ami_sd_seeds"]) else f" ± {row['ami_sd_seeds']:.3f}")
        cell += f" ({row['n_scenes']} x {row['n_seeds']})"
        if not pd.isna(row["published_ami"]):
            cell += f" [paper {row['published_ami']:.4f}]"
        cells.setdefault(row["dataset"], {})[row["method"]] = cell
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
             "<h2>AMI per dataset and method</h2><p>Mean ± standard deviation over seeds (scenes x seeds); "
             "the paper's figure in brackets where one is published. Every value: results/study_ami.csv.</p>",
             paper_style(ami).to_html(escape=True)]
    if farmland is not None and len(farmland):
        parts += ["<h2>Cultivated land (ISAgrSC2 chain)</h2><p>IoU, precision and recall over all sampled patches "
                  "pooled (results/study_farmland_iou.csv).</p>",
                  farmland.to_html(index=False, float_format="{:.4f}".format)]
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_image_tag(png, caption) for caption, png in figures]
    parts.append("</body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
