"""The parameter study's table: mean AMI over the scenes for every point, the published setting first."""

from typing import Any

from rsseg.evaluation.sensitivity import sensitivity_table
from rsseg.files import read_json, write_csv
from rsseg.scripting import named_inputs, run_rule


def main(snakemake: Any) -> None:
    points, scores = snakemake.params.points, named_inputs(snakemake.input, "scores")
    per_point = [[read_json(path) for path in scores[pattern]] for pattern in points]
    write_csv(snakemake.output.table, sensitivity_table(list(points.values()), per_point), float_format="%.4f")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
