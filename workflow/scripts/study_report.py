"""The study page: the table in the papers' form, the farmland IoU and every figure, in one HTML file."""

from pathlib import Path

import pandas as pd

from rsseg.report.study_page import write_study_report
from rsseg.scripting import run_rule


def caption(path):
    """``results/<dataset>/charts/<name>.png`` -> ``<dataset>: <name>``."""
    path = Path(path)
    return f"{path.parent.parent.name}: {path.stem.replace('_', ' ')}"


def main(snakemake):
    inputs = snakemake.input
    write_study_report(snakemake.output.page, ami=pd.read_csv(inputs.table), farmland=pd.read_csv(inputs.farmland),
                       figures=[("all datasets", inputs.chart), *((caption(p), p) for p in inputs.charts)])


run_rule(main, snakemake)
