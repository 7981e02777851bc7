"""AMI over each parameter of the FCN's parameter study, the others at their published values."""

from typing import Any

import pandas as pd

from rsseg.report.figures import sensitivity_chart
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    sensitivity_chart(snakemake.output.figure, pd.read_csv(snakemake.input.table),
                      title=f"Superpixel FCN parameter study, {snakemake.wildcards.dataset}")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
