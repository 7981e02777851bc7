"""Bar chart of the mean AMI per method, with each scene's AMI as a dot."""

import pandas as pd

from rsseg.report.figures import ami_chart
from rsseg.scripting import run_rule


def main(snakemake):
    summary = pd.read_csv(snakemake.input.summary)
    table = pd.read_csv(snakemake.input.table)
    ami_chart(snakemake.output.figure, summary, table, title=f"AMI per method, {snakemake.wildcards.dataset}")


run_rule(main, snakemake)
