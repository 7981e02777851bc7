"""The methods at matched numbers of clusters, with the FCN at its own count and the control at that count."""

from typing import Any

from rsseg.evaluation.clusters import clusters_table
from rsseg.evaluation.tables import load_scores
from rsseg.files import write_csv
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    write_csv(snakemake.output.table, clusters_table(load_scores(snakemake.input.scores)), float_format="%.4f")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
