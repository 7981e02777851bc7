"""Plot the FCN's AMI and seconds per precision from the runs of ``bench/gid_mtl.py --mosaic --json``.

    .venv/bin/python bench/plot_precision.py mosaic.json docs/img/precision.png

Left: mean AMI over the seeds per collection and precision (bars: standard deviation, dots: seeds), with
K-means for reference. Right: seconds of the FCN (superpixels included) per collection and precision.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, help="the JSON file of bench/gid_mtl.py --mosaic --json")
    parser.add_argument("figure", type=Path, help="PNG to write")
    args = parser.parse_args(argv)
    runs = json.loads(args.runs.read_text())
    collections = list(dict.fromkeys(run["collection"] for run in runs))
    precisions = list(dict.fromkeys(run["precision"] for run in runs if run["method"] == "superpixel_fcn"))
    bars = [("superpixel_fcn", p) for p in precisions] + [("kmeans", None)]
    figure = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(figure)
    ami_ax, time_ax = figure.subplots(1, 2)
    width = 0.8 / len(bars)
    for i, (method, precision) in enumerate(bars):
        label = f"FCN {precision}" if precision else method
        colour = matplotlib.colormaps["tab10"](i)
        offsets = np.arange(len(collections)) + (i - (len(bars) - 1) / 2) * width
        selected = [[run for run in runs if run["collection"] == collection and run["method"] == method
                     and run["precision"] == precision] for collection in collections]
        amis = [[run["ami"] for run in group] for group in selected]
        ami_ax.bar(offsets, [np.mean(a) for a in amis], width, yerr=[np.std(a, ddof=1) if len(a) > 1 else 0
                                                                     for a in amis], capsize=3, color=colour,
                   label=label)
        for offset, values in zip(offsets, amis, strict=True):
            ami_ax.plot([offset] * len(values), values, "o", color="0.15", markersize=3)
        if method == "superpixel_fcn":
            time_ax.bar(offsets, [np.mean([run["seconds"] for run in group]) for group in selected], width,
                        color=colour, label=label)
    for ax, ylabel in ((ami_ax, "AMI (mean over seeds)"), (time_ax, "seconds per run (superpixels + FCN)")):
        ax.set_xticks(np.arange(len(collections)), collections)
        ax.set_ylabel(ylabel)
    ami_ax.legend(fontsize=8)
    time_ax.legend(fontsize=8)
    figure.suptitle("Superpixel FCN on the GID-MTL mosaics, published schedule, per precision", fontsize=11)
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.figure, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
