"""Score one segmentation against the scene's labels."""

from typing import Any

from rsseg.data.raster import read_labels
from rsseg.evaluation.metrics import segmentation_scores
from rsseg.files import read_json, write_json
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    truth = read_labels(snakemake.input.truth)
    predicted = read_labels(snakemake.input.labels, shape=truth.shape)
    info = read_json(snakemake.input.info)
    write_json(snakemake.output.scores, {"scene": snakemake.wildcards.scene, "method": snakemake.params.method,
                                         "seed": snakemake.params.seed, **segmentation_scores(predicted, truth),
                                         "seconds": info["seconds"], "megapixels": truth.size / 1e6,
                                         "threads": info["threads"]})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
