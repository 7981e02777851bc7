"""The study page: the table in the papers' form, the farmland IoU and every figure, in one HTML file."""

from pathlib import Path
from typing import Any

import pandas as pd

from rsseg.report.study_page import write_study_report
from rsseg.scripting import run_rule


def caption(path: str) -> str:
    """``results/<dataset>/charts/<name>.png`` -> ``<dataset>: <name>``."""
    chart = Path(path)
    return f"{chart.parent.parent.name}: {chart.stem.replace('_', ' ')}"


def main(snakemake: Any) -> None:
    inputs = snakemake.input
    write_study_report(snakemake.output.page, ami=pd.read_csv(inputs.table), farmland=pd.read_csv(inputs.farmland),
                       figures=[("all datasets", inputs.chart), *((caption(p), p) for p in inputs.charts)])


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
