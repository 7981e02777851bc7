"""Draw one scene's image, ground truth and segmentations side by side (or one method's quick-look)."""

from typing import Any

from rsseg.data.labels import class_names
from rsseg.files import read_json
from rsseg.report.figures import ReportParams, class_palette, scene_figure
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params, inputs = snakemake.params, snakemake.input
    report = ReportParams.from_config(params.report)
    amis = [read_json(path)["ami"] for path in inputs.scores]
    segmentations = list(zip(params.methods, inputs.labels, amis, strict=True))
    scene = snakemake.wildcards.scene
    title = scene if params.with_truth else f"{scene}: {params.methods[0]}"
    scene_figure(snakemake.output.figure, title=title, image_path=inputs.image, composite_bands=params.composite_bands,
                 truth_path=inputs.truth, segmentations=segmentations, class_names=class_names(params.encoding),
                 palette=class_palette(params.encoding), max_size=report.max_size, with_truth=params.with_truth)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
