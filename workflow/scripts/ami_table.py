"""Collect per-scene scores into the AMI table and its per-method summary."""

from rsseg.raster import atomic_path
from rsseg.scripting import run_rule
from rsseg.tables import load_scores, summarise


def main(snakemake):
    table = load_scores(snakemake.input.scores)
    for frame, path in ((table, snakemake.output.table), (summarise(table), snakemake.output.summary)):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.4f")


run_rule(main, snakemake)
