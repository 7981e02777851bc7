"""Score one segmentation against the scene's labels."""

from typing import Any

from rsseg.data.raster import read_labels
from rsseg.evaluation.metrics import segmentation_scores
from rsseg.files import read_json, write_json
from rsseg.scripting import run_rule


def compute_setting(info: dict[str, Any]) -> str:
    """The precision and layout a network ran in (the FCN's run records), empty for methods without one."""
    return f"{info['dtype']}/{info['layout']}" if "dtype" in info else ""


def main(snakemake: Any) -> None:
    truth = read_labels(snakemake.input.truth)
    predicted = read_labels(snakemake.input.labels, shape=truth.shape)
    info = read_json(snakemake.input.info)
    write_json(snakemake.output.scores, {"scene": snakemake.wildcards.scene, "method": snakemake.params.method,
                                         "seed": snakemake.params.seed, **segmentation_scores(predicted, truth),
                                         "seconds": info["seconds"], "cpu_seconds": info["cpu_seconds"],
                                         "megapixels": truth.size / 1e6,
                                         "threads": info["threads"], "setting": compute_setting(info)})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
