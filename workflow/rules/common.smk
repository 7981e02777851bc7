import os
import shutil
import sys
from pathlib import Path

import yaml

from snakemake.exceptions import IncompleteCheckpointException
from snakemake.logging import logger
from snakemake.utils import min_version, validate

min_version("9.0")

# The scripts import the study's package from the checkout, so no conda env has to install it; this
# file uses it too, whether or not Snakemake's own environment has it installed.
SRC_DIR = str(Path(workflow.basedir) / "src")
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (SRC_DIR, os.environ.get("PYTHONPATH")) if p))
sys.path.insert(0, SRC_DIR)

from rsseg.compute_rule import machine_capabilities, resolve_setting
from rsseg.config import (
    CONSENSUS_RUN_SETTINGS,
    coerce_booleans,
    coerce_numbers,
    config_problems,
    dataset_archives,
    dataset_bands,
    method_settings,
    sort_settings,
    unknown_settings,
)
from rsseg.placement import files_state, folder_state, unavailable_reason
from rsseg.scenes import expects_georeferencing, find_scenes, select_scenes
from rsseg.files import read_json, remake_counts


def stop(*lines):
    """End the run with these lines (``error: ...`` each), no traceback: the user's input is at fault."""
    print("\n".join(f"error: {line}" for line in lines), file=sys.stderr)
    sys.exit(1)


SCHEMA_FILE = "../schemas/config.schema.yaml"
SCHEMA = yaml.safe_load((Path(workflow.current_basedir) / SCHEMA_FILE).read_text())
coerce_booleans(config, SCHEMA)  # --config key=true arrives as a string
coerce_numbers(config, SCHEMA)  # and --config seeds=[0,1] or 'superpixel_fcn={lr: 0.01}' as strings
# A misspelt key would run with the default it was meant to change: stop, naming the nearest valid key.
UNKNOWN = unknown_settings(config, SCHEMA)
if UNKNOWN:
    stop(*(f"config: {problem}" for problem in UNKNOWN))
validate(config, SCHEMA_FILE)  # which fills in the defaults of settings left out
sort_settings(config)  # the order --config merged keys in is no change of a rule's parameters
# What the schema cannot see (values against each other) stops the run here, before any job, one
# line per problem.
PROBLEMS = config_problems(config)
if PROBLEMS:
    stop(*(f"config: {problem}" for problem in PROBLEMS))


# `auto` precision and layout of the FCN's network, resolved once by a fixed rule from what this machine
# computes natively (rsseg.compute_rule): a parameter of every job that runs the network, so two runs on one
# machine compute alike, and a changed setting (another machine, a changed config) reruns the jobs.
CAPABILITIES = machine_capabilities(config["device"])


def fcn_settings(**changes):
    """The superpixel_fcn section with `auto` resolved, and ``changes`` applied (the parameter study's)."""
    section = {**config["superpixel_fcn"], **changes}
    section["precision"], section["layout"] = resolve_setting(section["precision"], section["layout"], CAPABILITIES)
    return section


# Every seed of `seeds` is a run of each method on each scene; what is run once (the ISAgrSC2 chain, the
# max_scenes subset) takes the first.
SEEDS = config["seeds"]
FIRST_SEED = SEEDS[0]


# The files of one method's run on a scene with a seed. Every method of the AMI table writes its label map
# and run record here, so a new method needs a rule writing them and nothing else to reach the tables.
RUN_FILES = {
    "labels": "results/{dataset}/segmentations/{method}/seed{seed}/{scene}.tif",
    "info": "results/{dataset}/segmentations/{method}/seed{seed}/{scene}.json",
    "log": "logs/{dataset}/{method}/seed{seed}/{scene}.log",
    "benchmark": "benchmarks/{dataset}/{method}/seed{seed}/{scene}.tsv",
    "scores": "results/{dataset}/scores/{method}/seed{seed}/{scene}.json",
}


def run_file(kind, method="{method}", seed="{seed}"):
    """The pattern of a file of RUN_FILES, with the method and the seed given or left as wildcards."""
    return RUN_FILES[kind].replace("{method}", method).replace("{seed}", str(seed))


# Outputs logged for the next run to make again (rsseg.files.REMAKE_LOG), with how often.
REMAKES = remake_counts()


def remakes(rule):
    """Params function (for rules whose outputs others read): how often an output of the job was logged
    to be made again (found unreadable and removed, a failed download). A new count is a changed parameter,
    so the run makes the outputs again and everything made from them; Snakemake alone would take a
    missing file for an intermediate no longer needed and keep the tables made from it."""

    def count(wildcards):
        outputs = [pattern.format(**dict(wildcards.items())) for pattern in getattr(rules, rule).output]
        return f"remade {sum(REMAKES[path] for path in outputs)} times"

    return count


def dataset_config(dataset):
    if dataset not in config["datasets"]:  # a target naming a dataset of no config entry
        stop(f"dataset {dataset!r} is not in the config (known: {', '.join(config['datasets'])})")
    return config["datasets"][dataset]


def n_classes(dataset):
    return len(dataset_config(dataset)["labels"]["classes"])


SCENE_FILES = {}


def scene_files(dataset):
    """``{scene: {"image", "label"}}`` of the scenes to run, found in the dataset's unpacked source (so the
    DAG waits for the download) and narrowed by its ``scenes`` and ``max_scenes``."""
    root = checkpoints.download_dataset.get(dataset=dataset).output.root
    if dataset not in SCENE_FILES:
        cfg = dataset_config(dataset)
        unavailable = unavailable_reason(root)
        if unavailable:
            stop(f"dataset {dataset}: {unavailable}")
        found = find_scenes(root, cfg["layout"])  # never empty: the download job checks it
        try:
            chosen = select_scenes(
                list(found),
                wanted=cfg.get("scenes"),
                max_scenes=cfg.get("max_scenes"),
                seed=FIRST_SEED,
                dataset=dataset,
            )
        except ValueError as err:  # datasets.{dataset}.scenes names scenes the source does not have
            stop(str(err))
        if not expects_georeferencing(cfg["layout"]):
            logger.warning(
                f"dataset {dataset}: its images carry no georeferencing; its scenes are prepared "
                "as GeoTIFFs without a CRS"
            )
        SCENE_FILES[dataset] = {scene: found[scene] for scene in chosen}
    return SCENE_FILES[dataset]


def scenes(dataset):
    return list(scene_files(dataset))


SCORED_SCENES = "results/{dataset}/scored_scenes.json"
"""The scenes with and without a scored pixel (the scored_scenes checkpoint). A rule whose inputs follow the list
takes this file as an input too: Snakemake reads a checkpoint's output that is present without asking whether its
job must run again, so only a rule that needs the file makes the list again when a scene's record or
skip_unscored_scenes changed."""


def scored_scenes(dataset):
    """The scenes with a scored pixel, known once all are prepared: every scene, unless skip_unscored_scenes lets
    scenes without one through (else they stop the run)."""
    return read_json(checkpoints.scored_scenes.get(dataset=dataset).output.scenes)["scored"]


def uses_gpu():
    """CUDA jobs ask the scheduler for a GPU; ``auto`` does so where this host has an NVIDIA driver."""
    return config["device"] == "cuda" or (config["device"] == "auto" and shutil.which("nvidia-smi") is not None)


def rule_resources(name):
    """Resources from the config, the entry of `name` over the defaults.

    Only CUDA runs ask for `gpus` (as `gpu`, which the SLURM executor turns into --gpus) and take the
    entry's `gpu_resources` (a GPU partition, a GPU model); other runs stay on CPU nodes."""
    merged = {**config["resources"]["default"], **config["resources"].get(name, {})}
    merged.pop("threads")
    gpus = merged.pop("gpus", 0)
    gpu_resources = merged.pop("gpu_resources", {})
    if gpus and uses_gpu():
        merged.update(gpu=gpus, **gpu_resources)
    return merged


def rule_threads(name):
    return config["resources"].get(name, {}).get("threads", config["resources"]["default"]["threads"])


def score_tables():
    """The score tables of every dataset of `run` (AMI, its summary, the matched cluster counts); the farmland IoU
    table where `farmland_iou` is set."""
    tables = ["ami", "summary", "clusters", *(["farmland_iou"] if config["farmland_iou"] else [])]
    return [f"results/{dataset}_{table}.csv" for dataset in config["run"] for table in tables]


def default_targets():
    # the lists of scored scenes, so that the figures follow a list made again (SCORED_SCENES)
    return [*score_tables(), *expand(SCORED_SCENES, dataset=config["run"]), report_figures]


def report_figures(wildcards):
    """Input function: the report's figures for every dataset of `run` (scene names follow the download)."""
    figures = []
    for dataset in config["run"]:
        figures += [f"results/{dataset}/charts/ami.png", f"results/{dataset}/charts/clusters.png"]
        if config["farmland_iou"]:
            figures.append(f"results/{dataset}/charts/farmland_iou.png")
        names = scored_scenes(dataset)
        figures += expand("results/{dataset}/figures/{scene}.png", dataset=dataset, scene=names)
        figures += expand(
            "results/{dataset}/figures/{method}/{scene}.png", dataset=dataset, scene=names, method=config["methods"]
        )
    return figures


def per_scene(pattern, scene_list=scored_scenes):
    """Input function: ``pattern`` expanded over the scenes of the job's dataset (by default those scored)."""
    return lambda wildcards: expand(pattern, dataset=wildcards.dataset, scene=scene_list(wildcards.dataset))


def named_per_scene(**patterns):
    """Input function: each ``name=pattern`` expanded over the scored scenes of the job's dataset, named
    ``<name>/<scene>`` so that the script reads each scene's files by name (rsseg.scripting.named_inputs)."""
    return lambda wildcards: {
        f"{name}/{scene}": pattern.format(dataset=wildcards.dataset, scene=scene)
        for scene in scored_scenes(wildcards.dataset)
        for name, pattern in patterns.items()
    }


PREPARED_SCENE_SETTINGS = ("bands", "band_names", "nodata", "labels")
"""The settings of a dataset that a prepared scene depends on (not its source, licence, farmland classes, ...)."""


def prepared_scene_settings(dataset):
    return {key: dataset_config(dataset)[key] for key in PREPARED_SCENE_SETTINGS}


def raw_scene_files(wildcards):
    files = scene_files(wildcards.dataset)
    if wildcards.scene not in files:  # a target naming a scene the dataset does not have (or not chosen)
        stop(f"dataset {wildcards.dataset} has no scene {wildcards.scene!r} (its scenes: {', '.join(files)})")
    return files[wildcards.scene]


def band_indices(dataset, setting):
    """0-based positions in a prepared scene of ``dataset`` of the bands a setting selects (``superpixel_bands``,
    ``upscale_bands``, ``composite_bands``: the dataset's own, else the global one; checked at start)."""
    names = dataset_config(dataset)["band_names"]
    return [names.index(band) for band in dataset_bands(config, dataset, setting)]


def clusters_or_classes(value, dataset):
    return value if value is not None else n_classes(dataset)


def consensus_settings(runs, clusters=None):
    """The superpixel_fcn_consensus settings that change its runs (``runs``), or those that change only their
    clustering, with ``clusters`` (default: its own setting, null meaning the FCN's classes)."""
    section = config["superpixel_fcn_consensus"]
    if runs:
        return {key: section[key] for key in CONSENSUS_RUN_SETTINGS}
    chosen = clusters or section["clusters"] or config["superpixel_fcn"]["n_classes"]
    return {**{key: value for key, value in section.items() if key not in CONSENSUS_RUN_SETTINGS}, "clusters": chosen}


def superpixel_kmeans_settings(clusters=None):
    """The superpixel_kmeans section at ``clusters`` (default: its own setting, null meaning the FCN's classes)."""
    section = config["superpixel_kmeans"]
    chosen = clusters or section["clusters"] or config["superpixel_fcn"]["n_classes"]
    return {**section, "clusters": chosen}


# Methods at matched numbers of clusters (clusters.smk)


def cluster_counts(dataset):
    """The numbers of clusters of results/{dataset}_clusters.csv: the configured counts, null meaning the
    dataset's number of classes, each once and in increasing order."""
    return sorted({count or n_classes(dataset) for count in config["matched_clusters"]["counts"]})


def matched_scores(wildcards):
    """Input function: the score files of every method at every count, of the FCN and of the control at the
    FCN's count, for every seed and scored scene."""
    methods = [
        f"{method}_k{k}" for method in config["matched_clusters"]["methods"] for k in cluster_counts(wildcards.dataset)
    ]
    return expand(
        run_file("scores"),
        dataset=wildcards.dataset,
        method=[*methods, "superpixel_fcn", "superpixel_kmeans_kfcn"],
        seed=SEEDS,
        scene=scored_scenes(wildcards.dataset),
    )


# The study target (study.smk)


def study_datasets():
    """``(datasets to run, {dataset: why it is missing}, datasets whose download is yet to be tried)``: a
    dataset runs when its local folder exists or its download succeeded. A download that failed is missing
    only where study.skip_missing let its job place it as unavailable; else its job stopped the run."""
    present, missing, pending = [], {}, []
    for name in config["study"]["datasets"]:
        cfg = dataset_config(name)
        if dataset_archives(name, cfg):
            try:
                unavailable = unavailable_reason(checkpoints.download_dataset.get(dataset=name).output.root)
            except IncompleteCheckpointException:
                pending.append(name)
            else:
                if unavailable:
                    missing[name] = unavailable
                else:
                    present.append(name)
        elif Path(cfg["source"]).is_dir():
            present.append(name)
        else:
            missing[name] = f"{cfg['source']}/ is missing: {cfg.get('manual', 'place the dataset there')}"
    return present, missing, pending


def pending_downloads(wildcards):
    """Input function of the study's rules: the datasets to download first, all at once; each rule is
    evaluated again once they are placed."""
    return [f"resources/datasets/{name}" for name in study_datasets()[2]]


def weights_installed():
    """Whether the ISAgrSC2 chain can run without a download: every checkpoint installed or given by path."""
    return all(
        Path(f"resources/weights/{model}.pth").is_file()
        or (config["weights"][model]["path"] and Path(config["weights"][model]["path"]).is_file())
        for model in ("realesrgan", "sam", "clip")
    )


def study_farmland_datasets():
    present, _, _ = study_datasets()
    return [name for name in present if dataset_config(name)["farmland"]] if weights_installed() else []


def study_targets(wildcards):
    present, missing, _ = study_datasets()
    if missing and not config["study"]["skip_missing"]:
        # one line per dataset, as for a bad config, rather than Snakemake's input-function traceback
        stop(
            *(f"dataset {name}: {reason}" for name, reason in missing.items()),
            "(or set study.skip_missing: true to list these datasets as missing and go on)",
        )
    targets = ["results/study_ami.csv", "results/study.html", "results/study/charts/ami.png"]
    targets += pending_downloads(wildcards)
    for name in present:
        targets += [f"results/{name}_ami.csv", f"results/{name}_summary.csv", f"results/{name}/charts/ami.png"]
    for name in study_farmland_datasets():
        targets += [f"results/{name}_farmland_iou.csv", f"results/{name}/charts/farmland_iou.png"]
    for name in config["study"]["sensitivity"]:
        targets += [f"results/{name}_sensitivity.csv", f"results/{name}/charts/sensitivity.png"]
    return targets


def study_tables(wildcards):
    """Input function: the downloads to wait for (``pending``), the AMI table of every dataset of the study, named
    ``ami/<dataset>``, and its farmland IoU table where there is one, ``farmland_iou/<dataset>``."""
    return {
        "pending": pending_downloads(wildcards),
        **{f"ami/{name}": f"results/{name}_ami.csv" for name in study_datasets()[0]},
        **{f"farmland_iou/{name}": f"results/{name}_farmland_iou.csv" for name in study_farmland_datasets()},
    }


# The parameter study (sensitivity.smk, which defines SENSITIVITY)


def sensitivity_scores(wildcards):
    """Input function: the score files of every point of the parameter study, for every scene and seed, named
    ``scores/<point's pattern>``."""
    return {
        f"scores/{point}": expand(
            f"results/{{dataset}}/sensitivity/{point}/scores/seed{{seed}}/{{scene}}.json",
            dataset=wildcards.dataset,
            seed=SEEDS,
            scene=scored_scenes(wildcards.dataset),
        )
        for point in SENSITIVITY.instance_patterns
    }
