"""The parameter study's table: mean AMI over the scenes for every point, the published setting first."""

from rsseg.files import read_json, write_csv
from rsseg.scripting import run_rule
from rsseg.evaluation.sensitivity import sensitivity_table


def main(snakemake):
    points = snakemake.params.points
    per_point = len(snakemake.input.scores) // len(points)  # the input lists each point's scenes in turn
    scores = [[read_json(path) for path in snakemake.input.scores[i * per_point:(i + 1) * per_point]]
              for i in range(len(points))]
    write_csv(snakemake.output.table, sensitivity_table(points, scores), float_format="%.4f")


run_rule(main, snakemake)
