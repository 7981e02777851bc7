"""Bar chart of the mean AMI per method, with each scene's AMI as a dot."""

from typing import Any

import pandas as pd

from rsseg.report.figures import ami_chart
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    summary = pd.read_csv(snakemake.input.summary)
    table = pd.read_csv(snakemake.input.table)
    ami_chart(snakemake.output.figure, summary, table, title=f"AMI per method, {snakemake.wildcards.dataset}")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
