"""Cultivated-land mask of every patch of one scene from its SAM segments and the trained head."""

from typing import Any

from rsseg.isagrsc2.classifier import ClassifierParams, load_head, load_segment_models, write_farmland_masks
from rsseg.isagrsc2.segmented_patches import iter_scene_patches
from rsseg.methods.device import job_device, seed_everything
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params, inputs = snakemake.params, snakemake.input
    classifier = ClassifierParams.from_config(params.classifier)
    seed_everything(params.seed)
    head = load_head(inputs.model)
    # the head maps features to classes: no pseudo-labels here, so CLIP loads only for CLIP features
    device = job_device(params.device, snakemake.threads)
    models = load_segment_models(classifier, inputs.clip, params.clip_model, device, zero_shot=False)
    patches = iter_scene_patches([inputs.manifest], [inputs.upscaled], [inputs.sam_labels])
    write_farmland_masks(patches, head, classifier, models, snakemake.output.masks)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
