"""Bar chart of cultivated-land IoU, precision and recall per patch and in total."""

from typing import Any

import pandas as pd

from rsseg.report.figures import farmland_chart
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    scores = pd.read_csv(snakemake.input.scores)
    farmland_chart(snakemake.output.figure, scores, title=f"Cultivated land, {snakemake.wildcards.dataset}")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
