"""Segment one scene with the superpixel-guided FCN as published; write the label map and the run record."""

from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_labels, read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import write_json
from rsseg.methods.device import job_device
from rsseg.methods.fcn import FCNParams, segment_scene
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    params = FCNParams.from_config(snakemake.params.fcn)
    seed = int(snakemake.params.seed)
    device = job_device(snakemake.params.device, snakemake.threads)
    image, valid, profile = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    with stopwatch() as times:
        # The raw values are not needed again: standardising in place keeps one copy of the scene in memory.
        labels, run = segment_scene(image, valid, superpixels, params, device=device, seed=seed, in_place=True)
    write_labels(snakemake.output.labels, labels, profile)
    write_json(snakemake.output.info, {"method": "superpixel_fcn", **times, "n_segments": count_segments(labels, valid),
                                       **run, "params": {**asdict(params), "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
