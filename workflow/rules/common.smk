import os
import shutil

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

# The scripts import the study's package from the checkout, so no conda env has to install it.
SRC_DIR = str(Path(workflow.basedir) / "src")
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (SRC_DIR, os.environ.get("PYTHONPATH")) if p))


def dataset_config(dataset):
    try:
        return config["datasets"][dataset]
    except KeyError:
        raise ValueError(f"dataset {dataset!r} is not in the config (known: {', '.join(config['datasets'])})")


def n_classes(dataset):
    return len(dataset_config(dataset)["labels"]["classes"])


def scenes(dataset):
    """Scene names of a dataset, found in its unpacked source (so the DAG waits for the download)."""
    root = checkpoints.download_dataset.get(dataset=dataset).output.root
    cfg = dataset_config(dataset)
    found = sorted(set(glob_wildcards(os.path.join(root, cfg["layout"]["image"])).scene))
    found = [s for s in found if "/" not in s]
    if "scenes" in cfg:
        missing = sorted(set(cfg["scenes"]) - set(found))
        if missing:
            raise ValueError(f"dataset {dataset}: scenes {missing} are not in {root}")
        found = cfg["scenes"]
    if not found:
        raise ValueError(f"dataset {dataset}: no file in {root} matches {cfg['layout']['image']}")
    return found


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
    """The score tables of every dataset of `run`; the farmland IoU table where `farmland_iou` is set."""
    tables = ["ami", "summary", "farmland_iou"] if config["farmland_iou"] else ["ami", "summary"]
    return [f"results/{dataset}_{table}.csv" for dataset in config["run"] for table in tables]


def default_targets():
    return [*score_tables(), report_figures]


def report_figures(wildcards):
    """Input function: the report's figures for every dataset of `run` (scene names follow the download)."""
    figures = []
    for dataset in config["run"]:
        figures.append(f"results/{dataset}/figures/ami.png")
        if config["farmland_iou"]:
            figures.append(f"results/{dataset}/figures/farmland_iou.png")
        names = scenes(dataset)
        figures += expand("results/{dataset}/figures/{scene}.png", dataset=dataset, scene=names)
        figures += expand("results/{dataset}/figures/{scene}_{method}.png", dataset=dataset, scene=names,
                          method=config["methods"])
    return figures


def per_scene(pattern):
    """Input function: ``pattern`` expanded over every scene of the job's dataset."""
    return lambda wildcards: expand(pattern, dataset=wildcards.dataset, scene=scenes(wildcards.dataset))


def raw_scene_files(wildcards):
    root = checkpoints.download_dataset.get(dataset=wildcards.dataset).output.root
    layout = dataset_config(wildcards.dataset)["layout"]
    return {
        "image": os.path.join(root, layout["image"].format(scene=wildcards.scene)),
        "label": os.path.join(root, layout["label"].format(scene=wildcards.scene)),
    }


def band_indices(dataset, wanted):
    """0-based positions of the named bands in a prepared scene of ``dataset``."""
    names = dataset_config(dataset)["band_names"]
    missing = [b for b in wanted if b not in names]
    if missing:
        raise ValueError(f"bands {missing} are not bands of dataset {dataset} ({names})")
    return [names.index(b) for b in wanted]


def clusters_or_classes(value, dataset):
    return value if value is not None else n_classes(dataset)
