"""Farmland IoU, precision and recall of the classified patches, per patch and pooled."""

from rsseg.evaluation.farmland import farmland_table
from rsseg.files import write_csv
from rsseg.data.labels import class_indices
from rsseg.data.patches import read_manifest
from rsseg.scripting import run_rule


def main(snakemake):
    params, inputs = snakemake.params, snakemake.input
    table = farmland_table([read_manifest(m) for m in inputs.manifests], inputs.masks,
                           farmland_classes=class_indices(params.labels, params.farmland))
    write_csv(snakemake.output.table, table, float_format="%.4f")


run_rule(main, snakemake)
