"""Segment one scene by the consensus of short superpixel-FCN runs; write its label map and run record."""

import time
from dataclasses import asdict

from rsseg.data.raster import read_labels, read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import write_json
from rsseg.methods.consensus import ConsensusParams, consensus_segment_scene
from rsseg.methods.device import job_device
from rsseg.methods.fcn import FCNParams
from rsseg.scripting import run_rule


def main(snakemake):
    fcn = FCNParams.from_config(snakemake.params.fcn)
    consensus = ConsensusParams.from_config(snakemake.params.consensus)
    seed = int(snakemake.params.seed)
    device = job_device(snakemake.params.device, snakemake.threads)
    image, valid, profile = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    start = time.perf_counter()
    labels, run = consensus_segment_scene(image, valid, superpixels, fcn, consensus, device=device, seed=seed,
                                          in_place=True)
    seconds = time.perf_counter() - start
    write_labels(snakemake.output.labels, labels, profile)
    write_json(snakemake.output.info, {"method": "superpixel_fcn_consensus", "seconds": seconds,
                                       "n_segments": count_segments(labels, valid), **run,
                                       "params": {**asdict(fcn), **asdict(consensus), "seed": seed}})


run_rule(main, snakemake)
