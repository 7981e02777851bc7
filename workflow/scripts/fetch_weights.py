"""Install one pretrained checkpoint: link/copy the configured local file, or download it; sha256-verified."""

from rsseg.scripting import run_rule
from rsseg.weights import install_checkpoint


def main(snakemake):
    params = snakemake.params
    install_checkpoint(params.url, params.sha256, params.path, snakemake.output.checkpoint, params.name)


run_rule(main, snakemake)
