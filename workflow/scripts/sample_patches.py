"""Cut the seeded random patches of one scene and its labels; write their manifest."""

from pathlib import Path

from rsseg.patches import sample_patches
from rsseg.raster import atomic_path
from rsseg.scripting import run_rule


def main(snakemake):
    params = snakemake.params
    Path(snakemake.output.patches).mkdir(parents=True, exist_ok=True)
    manifest = sample_patches(snakemake.input.image, snakemake.input.label, snakemake.output.patches,
                              snakemake.wildcards.scene, params.size, params.n_patches,
                              params.min_valid_fraction, params.seed)
    with atomic_path(snakemake.output.manifest) as tmp:
        manifest.to_csv(tmp, index=False)


run_rule(main, snakemake)
