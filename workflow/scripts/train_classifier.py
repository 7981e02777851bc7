"""Train the cultivated-land head on the SAM segments of every scene of a dataset."""

from rsseg.classifier import (ClassifierConfig, iter_scene_patches, load_segment_models, save_head,
                              train_on_patches)
from rsseg.device import resolve_device, seed_everything
from rsseg.labels import class_indices
from rsseg.raster import atomic_path
from rsseg.scripting import run_rule


def main(snakemake):
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    config = ClassifierConfig.from_config(params.classifier)
    seed_everything(params.seed)
    models = load_segment_models(config, inputs.clip, params.clip_model, resolve_device(params.device))
    patches = iter_scene_patches(inputs.manifests, inputs.upscaled, inputs.sam_labels)
    farmland = class_indices(params.labels, params.farmland)
    head, curve, table = train_on_patches(patches, config, models, farmland, params.seed)
    save_head(head, outputs.model)
    for frame, path in ((curve, outputs.curve), (table, outputs.segments)):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)


run_rule(main, snakemake)
