"""SAM+CLIP semantic map of one scene: k-means of its patches' segment embeddings, on the scene grid."""

from typing import Any

from rsseg import IGNORE_LABEL
from rsseg.data.patches import read_manifest
from rsseg.data.raster import open_raster, write_labels
from rsseg.files import read_json, write_json
from rsseg.isagrsc2.sam_clip import SamClipParams, scene_semantic_map
from rsseg.isagrsc2.segmented_patches import iter_scene_patches
from rsseg.isagrsc2.weights import load_clip
from rsseg.methods.device import job_device, seed_everything
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    sam_clip = SamClipParams.from_config(params.sam_clip)
    seed_everything(params.seed)
    device = job_device(params.device, snakemake.threads)
    clip = load_clip(inputs.clip, params.clip_model, device)
    with open_raster(inputs.image) as src:
        profile, shape = src.profile, src.shape
    manifest = read_manifest(inputs.manifest)
    placement = {str(patch_id): (int(row), int(col))
                 for patch_id, row, col in zip(manifest["patch_id"], manifest["row"], manifest["col"], strict=True)}
    with stopwatch() as times:
        patches = iter_scene_patches([inputs.manifest], [inputs.upscaled], [inputs.sam_labels])
        labels, n_segments = scene_semantic_map(patches, placement=placement, shape=shape, clip=clip, device=device,
                                                params=sam_clip, seed=params.seed)
    write_labels(outputs.labels, labels, profile)
    sam = read_json(inputs.sam_info)
    # SAM's time is part of the method's; Real-ESRGAN's is not timed (a shared preprocessing step)
    write_json(outputs.info, {"method": "sam_clip", **{name: sam[name] + times[name] for name in times},
                              "sam_seconds": sam["seconds"], "clip_seconds": times["seconds"],
                              "device": str(device), "threads": snakemake.threads,
                              "n_segments": n_segments, "n_clusters": sam_clip.n_clusters,
                              "labelled_fraction": float((labels != IGNORE_LABEL).mean()), "seed": params.seed})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
