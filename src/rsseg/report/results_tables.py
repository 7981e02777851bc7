"""The results tables of README.md and docs/study.md, written from the tables the workflow made.

``make tables`` copies ``results/{dataset}_summary.csv`` and ``results/{dataset}_clusters.csv`` of the datasets
below into ``docs/results/`` (committed), then rewrites every block between ``<!-- table: NAME -->`` and
``<!-- /table -->`` in the documents from those copies; ``--check`` only says whether the documents agree with
them (a test runs it), so no figure of these tables can be typed by hand or left behind by a new run.
"""

import argparse
import math
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from ..evaluation.clusters import AT_FCN_COUNT, EMERGENT

REPO = Path(__file__).resolve().parents[3]
RESULTS = REPO / "docs" / "results"
DOCUMENTS = (REPO / "README.md", REPO / "docs" / "study.md")
DATASETS = ("demo", "gid-mtl5-25", "gid-mtl15-25", "gid-mtl5", "gid-mtl15")
"""The datasets whose tables are committed, in the order of the tables' rows."""
TABLE_FILES = ("summary", "clusters")
BLOCK = re.compile(r"(<!-- table: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)
HEADLINE_COUNT = 32
"""The count the headline table compares the consensus and the control at: the FCN's output classes."""


def n_classes(dataset: str, config: Path = REPO / "config" / "config.yaml") -> int:
    return len(yaml.safe_load(config.read_text())["datasets"][dataset]["labels"]["classes"])


def mean_sd(row: pd.Series, digits: int = 3) -> str:
    """``mean ± sd`` of a row's AMI (the sd over seeds; none for one seed)."""
    sd = row["ami_sd_seeds"]
    return f"{row['ami_mean']:.{digits}f}" + ("" if math.isnan(sd) else f" ± {sd:.{digits}f}")


def clusters_row(table: pd.DataFrame, method: str, clusters: object) -> pd.Series:
    rows = table[(table["method"] == method) & (table["clusters"] == str(clusters))]
    if len(rows) != 1:
        raise ValueError(f"the clusters table has {len(rows)} rows of {method} at {clusters} clusters, not one")
    return rows.iloc[0]


def read_tables(results: Path, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.read_csv(results / f"{dataset}_summary.csv")
    clusters = pd.read_csv(results / f"{dataset}_clusters.csv", dtype={"clusters": str})
    return summary, clusters


def headline(results: Path, datasets: Sequence[str] = DATASETS) -> str:
    """README's table: per dataset the AMI (mean ± sd over seeds) of K-means at the number of classes, the
    superpixel control and the consensus at 32 clusters, the published FCN (with the segments it ends with) and
    the control at its count, and the consensus's CPU seconds over the FCN's."""
    lines = ["| dataset (classes, seeds) | K-means, k = classes | superpixel K-means, k = 32 | FCN as published "
             "(its segments) | superpixel K-means, k = the FCN's | **consensus**, k = 32 | consensus CPU s / FCN's |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for dataset in datasets:
        summary, clusters = read_tables(results, dataset)
        classes = n_classes(dataset)
        fcn = clusters_row(clusters, "superpixel_fcn", EMERGENT)
        consensus = clusters_row(clusters, "superpixel_fcn_consensus", HEADLINE_COUNT)
        cpu = summary.set_index("method")["cpu_seconds"]
        ratio = cpu["superpixel_fcn_consensus"] / cpu["superpixel_fcn"]
        lines.append(
            f"| {dataset} ({classes}, {int(fcn['n_seeds'])}) | {mean_sd(clusters_row(clusters, 'kmeans', classes))} | "
            f"{mean_sd(clusters_row(clusters, 'superpixel_kmeans', HEADLINE_COUNT))} | "
            f"{mean_sd(fcn)} ({fcn['n_segments']:.1f}) | "
            f"{mean_sd(clusters_row(clusters, 'superpixel_kmeans', AT_FCN_COUNT))} | **{mean_sd(consensus)}** | "
            f"{ratio:.2f}x |")
    return "\n".join(lines) + "\n"


def clusters_markdown(results: Path, dataset: str) -> str:
    """A dataset's clusters table in full: AMI (mean ± sd over seeds), the maps' segments, the matched and
    many-to-one accuracies and the CPU seconds, per method and number of clusters."""
    _, clusters = read_tables(results, dataset)
    lines = ["| method | clusters | segments | AMI | matched accuracy | matched mIoU | many-to-one accuracy | CPU s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def number(value: float) -> str:
        return "" if math.isnan(value) else f"{value:.3f}"

    for _, row in clusters.iterrows():
        lines.append(f"| {row['method']} | {row['clusters']} | {row['n_segments']:.1f} | {mean_sd(row)} | "
                     f"{number(row['matched_accuracy'])} | {number(row['matched_miou'])} | "
                     f"{number(row['many_to_one_accuracy'])} | {row['cpu_seconds']:.1f} |")
    return "\n".join(lines) + "\n"


def tables(results: Path) -> dict[str, Callable[[], str]]:
    """Every table the documents may hold, by the name their block gives."""
    known: dict[str, Callable[[], str]] = {"headline": partial(headline, results)}
    for dataset in DATASETS:
        known[f"clusters-{dataset}"] = partial(clusters_markdown, results, dataset)
    return known


def rewrite(text: str, results: Path) -> str:
    """``text`` with every table block written anew from ``results``; an unknown block name is an error."""
    known = tables(results)

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in known:
            raise ValueError(f"no table {name!r} (known: {', '.join(known)})")
        return match[1] + known[name]() + match[4]

    return BLOCK.sub(body, text)


def copy_results(source: Path, results: Path, datasets: Sequence[str] = DATASETS) -> list[Path]:
    """Copy the workflow's tables of ``datasets`` from ``source`` (``results/``) to ``results``, where present."""
    copied = []
    for dataset in datasets:
        for kind in TABLE_FILES:
            path = source / f"{dataset}_{kind}.csv"
            if path.is_file():
                results.mkdir(parents=True, exist_ok=True)
                copied.append(Path(shutil.copyfile(path, results / path.name)))
    return copied


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the documents agree with the CSVs")
    parser.add_argument("--copy-from", type=Path, metavar="DIR", help="first copy the workflow's tables from DIR")
    args = parser.parse_args(argv)
    if args.copy_from:
        for path in copy_results(args.copy_from, RESULTS):
            print(f"copied {path.relative_to(REPO)}")
    stale = []
    for document in DOCUMENTS:
        text = document.read_text()
        written = rewrite(text, RESULTS)
        if written != text:
            stale.append(document)
            if not args.check:
                document.write_text(written)
    for document in stale:
        print(f"{document.relative_to(REPO)}: {'differs from' if args.check else 'rewritten from'} "
              f"{RESULTS.relative_to(REPO)}/", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
