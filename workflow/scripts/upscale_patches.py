"""Upscale every patch of a manifest 4x with Real-ESRGAN into <patch_id>.tif files."""

from dataclasses import asdict
from typing import Any

from rsseg.data.patches import read_manifest
from rsseg.isagrsc2.upscale import UpscaleParams, upscale_patches
from rsseg.isagrsc2.weights import load_realesrgan
from rsseg.methods.device import job_device
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params = snakemake.params
    upscale = UpscaleParams.from_config(params.upscale)
    device = job_device(params.device, snakemake.threads)
    upscale_patches(read_manifest(snakemake.input.manifest), snakemake.output.upscaled,
                    load_realesrgan(snakemake.input.checkpoint, device), bands=params.bands, device=device,
                    **asdict(upscale))


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
