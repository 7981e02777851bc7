"""Figures for people to look at: band composites, label maps side by side, AMI and farmland IoU charts.

Colours of the ground truth come from the dataset: its own colour table for colour-coded labels (GID's
official palette), else a fixed qualitative palette (tab10, tab20 beyond 10 classes), so a class has the
same colour in every figure of a dataset.

Unsupervised segments have arbitrary ids. For display each segment takes the colour of the ground-truth
class it overlaps most (majority over labelled pixels; several segments may share a class, unlike a
one-to-one Hungarian matching, which would leave the extra segments of an over-segmentation without a
colour), and the segment boundaries are drawn on top so the segmentation itself stays visible. This is
a display aid: the scores (AMI etc.) never use it. Segments without a labelled pixel are grey.

Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas, without pyplot's global
state, so they render on machines without a display.
"""

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from rasterio.enums import Resampling

from .. import IGNORE_LABEL
from ..config import SENSITIVITY_PARAMETERS
from ..data.labels import majority_classes
from ..data.raster import open_raster, valid_mask
from ..data.spectra import percentile_stretch
from ..files import StrPath, atomic_path
from ..params import FromConfig, Range

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportParams(FromConfig):
    """The maps of the report: scenes larger than ``max_size`` pixels on their longer side are decimated."""

    max_size: int = 1000

    section = "report"
    bounds = {"max_size": Range(minimum=64)}

UNMATCHED_COLOUR = (0.74, 0.74, 0.74)
"""Segments that overlap no labelled pixel."""
BOUNDARY_COLOUR = (0.1, 0.1, 0.1, 0.55)
DPI = 100


def class_palette(encoding: Mapping[str, Any]) -> np.ndarray:
    """RGB colours in [0, 1], one row per class of a label encoding (see :mod:`rsseg.data.labels`)."""
    classes = encoding["classes"]
    if all("colour" in c for c in classes):
        return np.array([c["colour"] for c in classes], dtype=float) / 255.0
    n = len(classes)
    if n <= 20:
        cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
        return np.array([cmap(i)[:3] for i in range(n)])
    return np.array([matplotlib.colormaps["hsv"](i / n)[:3] for i in range(n)])


def display_shape(height: int, width: int, max_size: int) -> tuple[int, int]:
    """Rows and columns of a raster shrunk (never enlarged) so its longer side is at most ``max_size``."""
    factor = max(height, width) / max_size
    if factor <= 1:
        return height, width
    return max(1, round(height / factor)), max(1, round(width / factor))


def read_for_display(path: StrPath, max_size: int, bands: Sequence[int] | None = None
                     ) -> tuple[np.ndarray, float | None]:
    """Bands of a raster (all, or the 0-based ``bands``) by nearest-neighbour decimation, and its nodata.

    Decimated reading keeps a 7200x6800 GID scene's figure within a few MB of memory; nearest
    neighbour keeps label values and no-data exact.
    """
    with open_raster(path) as src:
        indexes = [b + 1 for b in bands] if bands is not None else list(range(1, src.count + 1))
        rows, cols = display_shape(src.height, src.width, max_size)
        data = src.read(indexes, out_shape=(len(indexes), rows, cols), resampling=Resampling.nearest)
        return data, src.nodata


def composite(image: np.ndarray, nodata: float | None) -> np.ndarray:
    """An RGBA picture of three bands ``(3, rows, cols)``, each stretched between its 2nd and 98th
    percentile; no-data pixels (every band at ``nodata``) are transparent."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"a composite needs three bands shaped (3, rows, cols), got {image.shape}")
    valid = valid_mask(image, nodata)
    rgb = percentile_stretch(image, valid).transpose(1, 2, 0)
    return np.dstack([rgb, valid.astype(np.float32)])


def class_picture(classes: np.ndarray, palette: np.ndarray, unmatched: np.ndarray | None = None) -> np.ndarray:
    """RGBA picture of a class-index map: ``palette`` colours, :data:`IGNORE_LABEL` transparent, and
    pixels of the bool map ``unmatched`` in :data:`UNMATCHED_COLOUR`."""
    classes = np.asarray(classes)
    colours = np.vstack([palette, UNMATCHED_COLOUR])
    known = classes < len(palette)
    picture = np.zeros((*classes.shape, 4), dtype=np.float32)
    picture[known, :3] = colours[classes[known]]
    picture[known, 3] = 1.0
    if unmatched is not None:
        picture[unmatched] = (*UNMATCHED_COLOUR, 1.0)
    return picture


def segments_as_classes(segments: np.ndarray, truth: np.ndarray, n_classes: int, valid: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Class-index map of a segmentation for display (see the module doc), and its unmatched pixels.

    Pixels outside ``valid`` become :data:`IGNORE_LABEL`; pixels of segments without a labelled
    pixel are flagged in the returned bool map.
    """
    ids, classes = majority_classes(segments, truth, n_classes, valid)
    out = np.full(np.shape(segments), IGNORE_LABEL, dtype=np.int64)
    unmatched = np.zeros(np.shape(segments), dtype=bool)
    if ids.size:
        where = np.searchsorted(ids, segments[valid])
        mapped = classes[where]
        out[valid] = np.where(mapped >= 0, mapped, IGNORE_LABEL)
        unmatched[valid] = mapped < 0
    return out, unmatched


def segment_boundaries(segments: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour belongs to another segment (inside ``valid``)."""
    segments = np.asarray(segments)
    edge = np.zeros(segments.shape, dtype=bool)
    edge[:, :-1] |= segments[:, :-1] != segments[:, 1:]
    edge[:-1, :] |= segments[:-1, :] != segments[1:, :]
    inside: np.ndarray = edge & valid
    return inside


def boundary_picture(edges: np.ndarray) -> np.ndarray:
    picture = np.zeros((*edges.shape, 4), dtype=np.float32)
    picture[edges] = BOUNDARY_COLOUR
    return picture


def class_legend(class_names: Sequence[str], palette: np.ndarray, with_unmatched: bool) -> list[Patch]:
    handles = [Patch(facecolor=colour, edgecolor="0.3", label=name)
               for name, colour in zip(class_names, palette, strict=True)]
    if with_unmatched:
        handles.append(Patch(facecolor=UNMATCHED_COLOUR, edgecolor="0.3", label="no labelled overlap"))
    return handles


def save(figure: Figure, path: StrPath) -> None:
    """Write a figure as PNG atomically."""
    FigureCanvasAgg(figure)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        figure.savefig(f, format="png", dpi=DPI, bbox_inches="tight")
    log.info("wrote %s", path)


def map_panels(path: StrPath, title: str, panels: Iterable[tuple[str, Sequence[np.ndarray]]],
               class_names: Sequence[str], palette: np.ndarray, with_unmatched: bool, panel_size: float = 4.0) -> None:
    """A row of maps sharing one class legend.

    ``panels``: ``(title, layers)`` per map, ``layers`` being RGBA pictures drawn in order. The
    legend lists the classes, and the grey of unmatched segments when ``with_unmatched``.
    """
    panels = list(panels)
    figure = Figure(figsize=(panel_size * len(panels), panel_size + 1.2), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (panel_title, layers) in zip(axes, panels, strict=True):
        for layer in layers:
            ax.imshow(layer, interpolation="nearest")
        ax.set_title(panel_title, fontsize=10)
        ax.set_axis_off()
    figure.suptitle(title, fontsize=11)
    handles = class_legend(class_names, palette, with_unmatched)
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=9,
                  frameon=False)
    save(figure, path)


def segmentation_layers(segments: np.ndarray, seg_nodata: float | None, truth: np.ndarray, n_classes: int,
                        palette: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """Majority-class colours and segment boundaries of a segmentation as two RGBA layers, and whether
    any segment is unmatched."""
    valid = valid_mask([segments], seg_nodata) & (truth != IGNORE_LABEL)
    classes, unmatched = segments_as_classes(segments, truth, n_classes, valid)
    layers = [class_picture(classes, palette, unmatched), boundary_picture(segment_boundaries(segments, valid))]
    return layers, bool(unmatched.any())


def method_title(method: str, ami: float | None) -> str:
    return method if ami is None or math.isnan(ami) else f"{method} (AMI {ami:.3f})"


def scene_figure(path: StrPath, *, title: str, image_path: StrPath, composite_bands: Sequence[int],
                 truth_path: StrPath, segmentations: Sequence[tuple[str, StrPath, float | None]],
                 class_names: Sequence[str], palette: np.ndarray, max_size: int = ReportParams.max_size,
                 with_truth: bool = True) -> None:
    """The image, the ground truth (unless ``with_truth`` is False) and each method's segmentation of
    one scene side by side, under ``title``.

    ``segmentations``: ``(method, label_path, ami or None)`` per method. Pixels unlabelled in the
    ground truth are left out of every segmentation panel, as they are out of the scores.
    """
    image, nodata = read_for_display(image_path, max_size, composite_bands)
    truth = read_for_display(truth_path, max_size)[0][0]
    panels = [("image", [composite(image, nodata)])]
    if with_truth:
        panels.append(("ground truth", [class_picture(truth, palette)]))
    any_unmatched = False
    for method, label_path, ami in segmentations:
        segments, seg_nodata = read_for_display(label_path, max_size)
        layers, unmatched = segmentation_layers(segments[0], seg_nodata, truth, len(class_names), palette)
        panels.append((method_title(method, ami), layers))
        any_unmatched |= unmatched
    map_panels(path, title, panels, class_names, palette, any_unmatched)


def bar_labels(ax: Axes, bars: BarContainer, values: Iterable[float]) -> None:
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(f"{value:.3f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)


def ami_chart(path: StrPath, summary: pd.DataFrame, table: pd.DataFrame | None = None,
              title: str = "AMI per method") -> None:
    """Bars of the mean AMI per method with the standard deviation over seeds as error bars (``summary``:
    columns method, ami_mean, ami_sd_seeds), and the AMI of each scene and seed as a dot when the ``table`` of
    runs (columns method, ami) is given."""
    methods = list(summary["method"])
    figure = Figure(figsize=(max(4.0, 1.2 * len(methods) + 1.5), 4.0), layout="constrained")
    ax = figure.subplots()
    positions = np.arange(len(methods))
    colours = [matplotlib.colormaps["tab10"](i % 10) for i in range(len(methods))]
    bars = ax.bar(positions, summary["ami_mean"], color=colours, width=0.6, yerr=summary["ami_sd_seeds"].fillna(0),
                  capsize=4, label="mean (error bar: sd over seeds)")
    bar_labels(ax, bars, summary["ami_mean"])
    lowest = float(np.nanmin(summary["ami_mean"]))
    if table is not None:
        for position, method in zip(positions, methods, strict=True):
            scores = table.loc[table["method"] == method, "ami"].to_numpy()
            ax.plot(np.full(len(scores), position), scores, "o", color="0.15", markersize=3.5, alpha=0.7,
                    label="one scene and seed" if position == 0 else None)
            lowest = min(lowest, float(np.nanmin(scores)) if len(scores) else lowest)
    ax.set_xticks(positions, methods, rotation=20 if len(methods) > 4 else 0)
    ax.set_ylabel("adjusted mutual information")
    ax.set_ylim(min(0.0, lowest - 0.05), 1.0)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_title(title, fontsize=11)
    figure.legend(fontsize=8, ncols=2, loc="outside lower center", frameon=False)
    save(figure, path)


FARMLAND_SCORES = ("iou", "precision", "recall")


def farmland_chart(path: StrPath, scores: pd.DataFrame, title: str = "Cultivated land") -> None:
    """Grouped bars of IoU, precision and recall per row of a farmland score table (columns ``patch_id``
    naming the rows, as :func:`rsseg.evaluation.farmland.farmland_table` writes, and any of the scores)."""
    shown = [c for c in FARMLAND_SCORES if c in scores.columns]
    if not shown or "patch_id" not in scores.columns:
        raise ValueError(f"a farmland score table needs a patch_id column and one of {FARMLAND_SCORES}, "
                         f"found {list(scores.columns)}")
    names = [str(name) for name in scores["patch_id"]]
    figure = Figure(figsize=(max(5.0, 0.9 * len(scores) + 2.0), 4.2), layout="constrained")
    ax = figure.subplots()
    width = 0.8 / len(shown)
    positions = np.arange(len(scores))
    for i, column in enumerate(shown):
        ax.bar(positions + (i - (len(shown) - 1) / 2) * width, scores[column], width=width, label=column,
               color=matplotlib.colormaps["tab10"](i))
    slanted = len(scores) > 3
    ax.set_xticks(positions, names, rotation=30 if slanted else 0, ha="right" if slanted else "center", fontsize=8)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=11)
    figure.legend(fontsize=8, ncols=len(shown), loc="outside lower center", frameon=False)
    save(figure, path)


def sensitivity_chart(path: StrPath, table: pd.DataFrame, title: str = "Parameter study") -> None:
    """One panel per parameter of a sensitivity table (:func:`rsseg.evaluation.sensitivity.sensitivity_table`): the mean
    AMI (bars: standard deviation over seeds) over the parameter's values, the others at their published
    values, which the hollow marker shows."""
    published = table[table["varied"] == "published"].iloc[0]
    parameters = [column for column in SENSITIVITY_PARAMETERS if column in table.columns]
    figure = Figure(figsize=(4.0 * len(parameters), 3.6), layout="constrained")
    for ax, name in zip(figure.subplots(1, len(parameters), squeeze=False)[0], parameters, strict=True):
        rows = table[table["varied"].isin([name, "published"])].sort_values(name)
        ax.errorbar(rows[name], rows["ami_mean"], yerr=rows["ami_sd_seeds"].fillna(0), marker="o", capsize=3,
                    color=matplotlib.colormaps["tab10"](0))
        ax.plot([published[name]], [published["ami_mean"]], "o", markersize=11, markerfacecolor="none",
                color="0.2", label="published setting")
        ax.set_xscale("log", base=2)
        ax.set_xticks(rows[name], [f"{value:g}" for value in rows[name]])
        ax.set_xlabel(name)
        ax.set_ylabel("AMI")
    figure.suptitle(title, fontsize=11)
    figure.legend(*figure.axes[0].get_legend_handles_labels(), fontsize=8, loc="outside lower center", frameon=False)
    save(figure, path)


def study_chart(path: StrPath, table: pd.DataFrame, title: str = "AMI per dataset and method") -> None:
    """Grouped bars of the mean AMI per dataset (groups) and method (bars) of the study table, with the standard
    deviation over seeds and the paper's figure as a black mark where one is published."""
    scored = table[table["status"] == "ok"]
    datasets, methods = list(dict.fromkeys(scored["dataset"])), list(dict.fromkeys(scored["method"]))
    figure = Figure(figsize=(max(5.0, 1.3 * len(datasets) * max(1, len(methods)) / 2 + 2), 4.2), layout="constrained")
    ax = figure.subplots()
    width = 0.8 / max(1, len(methods))
    positions = np.arange(len(datasets))
    for i, method in enumerate(methods):
        rows = scored[scored["method"] == method].set_index("dataset").reindex(datasets)
        offsets = positions + (i - (len(methods) - 1) / 2) * width
        ax.bar(offsets, rows["ami_mean"], width=width, yerr=rows["ami_sd_seeds"].fillna(0), capsize=2, label=method,
               color=matplotlib.colormaps["tab10"](i % 10))
        papers = rows["published_ami"].astype(float)
        if papers.notna().any():
            ax.plot(offsets[papers.notna()], papers[papers.notna()], "k_", markersize=14, markeredgewidth=2,
                    label="published" if i == 0 or "published" not in ax.get_legend_handles_labels()[1] else None)
    ax.set_xticks(positions, datasets)
    ax.set_ylabel("adjusted mutual information")
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_title(title, fontsize=11)
    figure.legend(fontsize=8, ncols=min(len(methods) + 1, 5), loc="outside lower center", frameon=False)
    save(figure, path)


def clusters_chart(path: StrPath, table: pd.DataFrame, title: str = "AMI at matched numbers of clusters") -> None:
    """The mean AMI (bars: standard deviation over seeds) over the mean number of segments of each method of a
    clusters table (:func:`rsseg.evaluation.clusters.clusters_table`), one line per method; the FCN at its own
    count as a large marker, the control at that count as a hollow one."""
    from ..evaluation.clusters import AT_FCN_COUNT, EMERGENT, FCN

    figure = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = figure.subplots()
    matched = table[~table["clusters"].isin([EMERGENT, AT_FCN_COUNT])]
    for i, (method, rows) in enumerate(matched.groupby("method", sort=False)):
        ax.errorbar(rows["n_segments"], rows["ami_mean"], yerr=rows["ami_sd_seeds"].fillna(0), marker="o",
                    capsize=3, label=method, color=matplotlib.colormaps["tab10"](i % 10))
    at_fcn_count = "superpixel_kmeans at the FCN's count"
    for clusters, marker, size, face, label in ((EMERGENT, "*", 14, "k", FCN), (AT_FCN_COUNT, "o", 10, "none",
                                                                                 at_fcn_count)):
        rows = table[table["clusters"] == clusters]
        ax.errorbar(rows["n_segments"], rows["ami_mean"], yerr=rows["ami_sd_seeds"].fillna(0), capsize=3,
                    linestyle="none", marker=marker, markersize=size, markerfacecolor=face, color="k", label=label)
    ax.set_xscale("log", base=2)
    counts = sorted(set(table["n_segments"].round().astype(int)))
    ax.set_xticks(counts, [str(count) for count in counts])
    ax.set_xlabel("segments in the map (mean over scenes and seeds)")
    ax.set_ylabel("adjusted mutual information")
    ax.set_title(title, fontsize=11)
    figure.legend(fontsize=8, ncols=2, loc="outside lower center", frameon=False)
    save(figure, path)
