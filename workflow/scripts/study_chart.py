"""Bars of the mean AMI per dataset and method, with the papers' figures."""

from typing import Any

import pandas as pd

from rsseg.report.figures import study_chart
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    study_chart(snakemake.output.figure, pd.read_csv(snakemake.input.table))


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
