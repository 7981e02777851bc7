"""Segment one scene with the superpixel-guided FCN, or with the consensus of short runs of it when the rule
passes `consensus` settings; write the label map and the run record."""

import time
from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_labels, read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import write_json
from rsseg.methods.consensus import ConsensusParams, consensus_segment_scene
from rsseg.methods.device import job_device
from rsseg.methods.fcn import FCNParams, segment_scene
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params = FCNParams.from_config(snakemake.params.fcn)
    consensus = snakemake.params.get("consensus")
    seed = int(snakemake.params.seed)
    device = job_device(snakemake.params.device, snakemake.threads)
    image, valid, profile = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    start = time.perf_counter()
    # The raw values are not needed again: standardising in place keeps one copy of the scene in memory.
    if consensus is None:
        method, settings = "superpixel_fcn", asdict(params)
        labels, run = segment_scene(image, valid, superpixels, params, device=device, seed=seed, in_place=True)
    else:
        runs = ConsensusParams.from_config(consensus)
        method, settings = "superpixel_fcn_consensus", {**asdict(params), **asdict(runs)}
        labels, run = consensus_segment_scene(image, valid, superpixels, params, runs, device=device, seed=seed,
                                              in_place=True)
    seconds = time.perf_counter() - start
    write_labels(snakemake.output.labels, labels, profile)
    write_json(snakemake.output.info, {"method": method, "seconds": seconds,
                                       "n_segments": count_segments(labels, valid), **run,
                                       "params": {**settings, "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
