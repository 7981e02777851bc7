"""Farmland IoU, precision and recall of the classified patches, per patch and pooled."""

from typing import Any

from rsseg.data.labels import class_indices
from rsseg.data.patches import read_manifest
from rsseg.evaluation.farmland import farmland_table
from rsseg.files import write_csv
from rsseg.scripting import named_inputs, run_rule


def main(snakemake: Any) -> None:
    params, inputs = snakemake.params, snakemake.input
    manifests, masks = named_inputs(inputs, "manifest"), named_inputs(inputs, "masks")
    table = farmland_table([(read_manifest(manifests[scene]), masks[scene]) for scene in manifests],
                           farmland_classes=class_indices(params.labels, params.farmland))
    write_csv(snakemake.output.table, table, float_format="%.4f")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
