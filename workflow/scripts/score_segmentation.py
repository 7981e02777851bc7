"""Score one segmentation against the scene's labels."""

import json

from rsseg.metrics import segmentation_scores
from rsseg.raster import atomic_path, raster_shape, read_labels
from rsseg.scripting import run_rule


def main(snakemake):
    truth = read_labels(snakemake.input.truth)
    predicted = read_labels(snakemake.input.labels, shape=truth.shape)
    info = json.loads(open(snakemake.input.info).read())
    row = {"scene": snakemake.wildcards.scene, "method": snakemake.wildcards.method,
           **segmentation_scores(predicted, truth), "seconds": info["seconds"],
           "megapixels": truth.size / 1e6}
    with atomic_path(snakemake.output.scores) as tmp:
        tmp.write_text(json.dumps(row, indent=2))


run_rule(main, snakemake)
