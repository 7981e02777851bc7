"""Cut the seeded random patches of one scene and its labels; write their manifest."""

from rsseg.files import write_csv
from rsseg.data.patches import sample_patches
from rsseg.scripting import run_rule


def main(snakemake):
    params = snakemake.params
    manifest = sample_patches(snakemake.input.image, snakemake.input.label, snakemake.output.patches,
                              scene=snakemake.wildcards.scene, size=params.size, count=params.n_patches,
                              min_valid_fraction=params.min_valid_fraction, seed=params.seed)
    write_csv(snakemake.output.manifest, manifest)


run_rule(main, snakemake)
