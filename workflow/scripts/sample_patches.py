"""Cut the seeded random patches of one scene and its labels; write their manifest."""

from typing import Any

from rsseg.data.patches import PatchParams, sample_patches
from rsseg.files import write_csv
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params = snakemake.params
    patches = PatchParams.from_config(params.patches)
    manifest = sample_patches(snakemake.input.image, snakemake.input.label, snakemake.output.patches,
                              scene=snakemake.wildcards.scene, params=patches, seed=params.seed)
    write_csv(snakemake.output.manifest, manifest)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
