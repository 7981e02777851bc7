"""Both cluster profiles load, and the config's resources reach the jobs: GPU requests only for CUDA runs.

Dry runs only (no SLURM needed): Snakemake prints each job's resources, which the SLURM executor turns
into sbatch options (mem_mb -> --mem, runtime -> -t, threads -> --cpus-per-task, gpu and gpu_model ->
--gpus=model:N, slurm_partition -> -p).
"""

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# One scene's FCN segmentation: the DAG reaches it without downloading (the download is a checkpoint).
TARGET = "results/tiny/segmentations/superpixel_fcn/seed0/scene_a.tif"
JOB_HEADER = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
RESOURCES = re.compile(r"^\s+resources: (.*)$")
THREADS = re.compile(r"^\s+threads: (\d+)$")


def job_resources(dry_run_output):
    """``{rule: {resource: value}}`` from the job blocks of a dry run; threads too where above 1."""
    found, rule = {}, None
    for line in dry_run_output.splitlines():
        if header := JOB_HEADER.match(line):
            rule = header.group(1)
            found[rule] = {}
        elif resources := RESOURCES.match(line):
            found[rule].update(item.split("=", 1) for item in resources.group(1).split(", "))
        elif threads := THREADS.match(line):
            found[rule]["threads"] = threads.group(1)
    return found


def path_without_nvidia_smi():
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if not (Path(d) / "nvidia-smi").exists())


@pytest.mark.parametrize("profile, device, nvidia_driver, asks_gpu", [
    ("slurm", "cuda", False, True),
    ("slurm", "auto", True, True),
    ("local", "auto", False, False),
    ("local", "cpu", True, False),
])
def test_gpu_rules_ask_for_a_gpu_only_when_they_run_on_cuda(profile, device, nvidia_driver, asks_gpu,
                                                             tiny_workflow, tmp_path, monkeypatch):
    path = path_without_nvidia_smi()
    if nvidia_driver:
        # `device: auto` asks for a GPU where the submitting host has NVIDIA's driver tools.
        fake_bin = tmp_path / "bin"
        fake_bin.mkdir()
        (fake_bin / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
        (fake_bin / "nvidia-smi").chmod(0o755)
        path = f"{fake_bin}{os.pathsep}{path}"
    monkeypatch.setenv("PATH", path)
    config = tiny_workflow.config
    config["device"] = device
    config["resources"]["superpixel_fcn"].update(threads=2, mem_mb=3000, runtime=90, gpus=2,
                                                  gpu_resources={"slurm_partition": "gpu", "gpu_model": "a100"})
    tiny_workflow.write_config(config)

    done = tiny_workflow.run("--profile", str(REPO / "profiles" / profile), "--dry-run", TARGET)
    jobs = job_resources(done.stdout + done.stderr)

    assert set(jobs) == {"download_dataset", "prepare_scene", "superpixels", "superpixel_fcn"}
    fcn = jobs["superpixel_fcn"]
    assert (fcn["threads"], fcn["mem_mb"], fcn["runtime"]) == ("2", "3000", "90")
    gpu_request = {key: fcn.get(key) for key in ("gpu", "gpu_model", "slurm_partition")}
    assert gpu_request == ({"gpu": "2", "gpu_model": "a100", "slurm_partition": "gpu"} if asks_gpu
                           else {"gpu": None, "gpu_model": None, "slurm_partition": None})
    # rules without `gpus` in the config never ask for one
    cpu_rules = ("download_dataset", "prepare_scene", "superpixels")
    assert not any("gpu" in jobs[rule] for rule in cpu_rules)
    superpixels = config["resources"]["superpixels"]
    assert (jobs["superpixels"]["mem_mb"], jobs["superpixels"]["runtime"]) == (
        str(superpixels["mem_mb"]), str(superpixels["runtime"]))
    # the profiles add no resources of their own: the config is the one place to fit a cluster
    assert not any("slurm_partition" in jobs[rule] for rule in cpu_rules)
