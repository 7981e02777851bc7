"""Collect per-scene scores into the AMI table and its per-method summary."""

import logging
from typing import Any

from rsseg.evaluation.tables import load_scores, summarise
from rsseg.files import read_json, write_csv
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    table = load_scores(snakemake.input.scores)
    unscored = read_json(snakemake.input.scenes)["unscored"]
    if unscored:
        logging.getLogger("ami_table").warning("left out %d scene(s) without a scored pixel: %s", len(unscored),
                                               ", ".join(unscored))
    write_csv(snakemake.output.table, table, float_format="%.4f")
    write_csv(snakemake.output.summary, summarise(table, len(unscored)), float_format="%.4f")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
