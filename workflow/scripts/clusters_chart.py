"""AMI over the number of clusters per method, the FCN at its own count."""

from typing import Any

import pandas as pd

from rsseg.report.figures import clusters_chart
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    clusters_chart(snakemake.output.figure, pd.read_csv(snakemake.input.table, dtype={"clusters": str}),
                   title=f"AMI at matched numbers of clusters, {snakemake.wildcards.dataset}")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
