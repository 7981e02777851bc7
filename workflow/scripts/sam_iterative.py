"""Iterative SAM segmentation (ISAgrSC2) of every upscaled patch of one scene, timed."""

from typing import Any

from rsseg.data.patches import read_manifest
from rsseg.files import write_csv, write_json
from rsseg.isagrsc2.sam_iterative import SamParams, make_sam_generator
from rsseg.isagrsc2.sam_patches import segment_patches
from rsseg.isagrsc2.weights import load_sam
from rsseg.methods.device import job_device, seed_everything
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    params = snakemake.params
    sam_params = SamParams.from_config(params.sam)
    seed_everything(params.seed)
    device = job_device(params.device, snakemake.threads)
    sam = load_sam(snakemake.input.checkpoint, params.model_type, device)
    manifest = read_manifest(snakemake.input.manifest)
    with stopwatch() as times:
        table = segment_patches(manifest, snakemake.input.upscaled, snakemake.output.labels,
                                generate=make_sam_generator(sam, sam_params), params=sam_params)
    write_csv(snakemake.output.segments, table)
    write_json(snakemake.output.info, {**times, "device": str(device), "model_type": params.model_type,
                                       "n_patches": len(manifest), "n_segments": len(table), "params": params.sam})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
