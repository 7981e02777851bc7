"""Train the cultivated-land head on the SAM segments of every scene of a dataset."""

from typing import Any

from rsseg.data.labels import class_indices
from rsseg.files import write_csv
from rsseg.isagrsc2.classifier import ClassifierParams, load_segment_models, save_head, train_on_patches
from rsseg.isagrsc2.segmented_patches import iter_scene_patches
from rsseg.methods.device import job_device, seed_everything
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    classifier = ClassifierParams.from_config(params.classifier)
    seed_everything(params.seed)
    device = job_device(params.device, snakemake.threads)
    models = load_segment_models(classifier, inputs.clip, params.clip_model, device)
    patches = iter_scene_patches(inputs.manifests, inputs.upscaled, inputs.sam_labels)
    head, curve, table = train_on_patches(patches, classifier, models,
                                          farmland_classes=class_indices(params.labels, params.farmland),
                                          seed=params.seed)
    save_head(head, outputs.model)
    write_csv(outputs.curve, curve)
    write_csv(outputs.segments, table)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
