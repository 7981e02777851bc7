"""Install one pretrained checkpoint: link/copy the configured local file, or download it; sha256-verified."""

from typing import Any

from rsseg.isagrsc2.weights import KNOWN_CHECKPOINTS, install_checkpoint
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params = snakemake.params
    published = KNOWN_CHECKPOINTS[params.checkpoint]
    install_checkpoint(snakemake.output.checkpoint, name=params.name, url=params.url or published.url,
                       sha256=params.sha256 or published.sha256, local_path=params.path,
                       ncnn_model=published.ncnn_model)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
