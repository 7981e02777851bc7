"""Upscale every patch of a manifest 4x with Real-ESRGAN into <patch_id>.tif files."""

from pathlib import Path

import pandas as pd

from rsseg.device import resolve_device
from rsseg.scripting import run_rule
from rsseg.upscale import upscale_geotiff
from rsseg.weights import load_realesrgan


def main(snakemake):
    params = snakemake.params
    device = resolve_device(params.device)
    model = load_realesrgan(snakemake.input.checkpoint, device)
    out_dir = Path(snakemake.output.upscaled)
    out_dir.mkdir(parents=True, exist_ok=True)
    for patch in pd.read_csv(snakemake.input.manifest).itertuples():
        upscale_geotiff(patch.image, out_dir / f"{patch.patch_id}.tif", model, params.bands,
                        params.tile, params.overlap, device, params.get("half", False))


run_rule(main, snakemake)
