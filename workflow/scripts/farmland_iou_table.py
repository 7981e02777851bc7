"""Farmland IoU, precision and recall of the classified patches, per patch and pooled."""

from rsseg.farmland import farmland_table
from rsseg.labels import class_indices
from rsseg.raster import atomic_path
from rsseg.sam_iterative import read_manifest
from rsseg.scripting import run_rule


def main(snakemake):
    params, inputs = snakemake.params, snakemake.input
    table = farmland_table([read_manifest(m) for m in inputs.manifests], inputs.masks,
                           class_indices(params.labels, params.farmland))
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")


run_rule(main, snakemake)
