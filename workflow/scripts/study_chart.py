"""Bars of the mean AMI per dataset and method, with the papers' figures."""

import pandas as pd

from rsseg.report.figures import study_chart
from rsseg.scripting import run_rule


def main(snakemake):
    study_chart(snakemake.output.figure, pd.read_csv(snakemake.input.table))


run_rule(main, snakemake)
