"""Train the short FCN runs of the consensus on one scene; write their superpixel probabilities and the record."""

from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_labels, read_scene
from rsseg.files import write_json
from rsseg.methods.consensus import ConsensusParams, save_runs, train_runs
from rsseg.methods.device import job_device
from rsseg.methods.fcn import FCNParams
from rsseg.methods.superpixel_features import superpixel_scene
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    fcn = FCNParams.from_config(snakemake.params.fcn)
    params = ConsensusParams.from_config(snakemake.params.consensus)  # the settings of the runs; the rest unused
    seed = int(snakemake.params.seed)
    device = job_device(snakemake.params.device, snakemake.threads)
    image, valid, _ = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    with stopwatch() as times:
        # The raw values are not needed again: standardising in place keeps one copy of the scene in memory.
        scene = superpixel_scene(image, valid, superpixels, in_place=True)
        probabilities, run = train_runs(scene, fcn, params, device=device, seed=seed)
    save_runs(snakemake.output.runs, probabilities)
    write_json(snakemake.output.info, {**times, **run, "params": {**asdict(fcn), **snakemake.params.consensus,
                                                                  "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
