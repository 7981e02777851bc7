"""The SLURM profile runs the tiny workflow with every job submitted through sbatch of a real local SLURM."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
START_SCRIPT = REPO / "tests" / "slurm" / "start-local-slurm.sh"
PROFILE = REPO / "profiles" / "slurm"
TARGETS = ["results/tiny_ami.csv", "results/tiny_summary.csv"]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
FINISHED = re.compile(r"Finished jobid: (\d+) \(Rule: (\w+)\)")
RESOURCES_OF = {"kmeans": "baseline", "isodata": "baseline"}
"""Rules whose resources are an entry of another name: the baselines share theirs."""
CANNOT_RUN_HERE = 77  # the start script's exit status for "not root / nothing to install SLURM with"


def cluster_answers():
    return shutil.which("sinfo") is not None and subprocess.run(
        ["sinfo", "--noheader"], capture_output=True, timeout=30).returncode == 0


@pytest.fixture(scope="module", autouse=True)
def real_scontrol(no_slurm_controller):
    """The real ``scontrol`` for this module's jobs and checks (conftest's failing one off PATH)."""
    path = os.environ["PATH"]
    os.environ["PATH"] = os.pathsep.join(entry for entry in path.split(os.pathsep)
                                         if entry != str(no_slurm_controller))
    yield
    os.environ["PATH"] = path


@pytest.fixture(scope="module")
def slurm_partition():
    """Start the local SLURM; yields its default partition. Stops it afterwards if it was not up before."""
    if os.geteuid() != 0:
        pytest.skip("needs root to install and start SLURM")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("needs apt-get to install slurm-wlm and munge")
    was_up = cluster_answers()
    started = subprocess.run(["bash", str(START_SCRIPT)], capture_output=True, text=True, timeout=900)
    said = (started.stdout + started.stderr).strip()
    if started.returncode == CANNOT_RUN_HERE:
        pytest.skip(f"local SLURM cannot run here: {said[-500:]}")
    assert started.returncode == 0, f"local SLURM did not start:\n{said[-3000:]}"
    yield re.search(r"^partition: (\S+)$", started.stdout, re.MULTILINE).group(1)
    if not was_up:
        subprocess.run(["bash", str(START_SCRIPT), "--stop"], capture_output=True, timeout=60, check=True)


def slurm_job(slurm_jobid):
    """``scontrol show job`` fields of a job; finished jobs stay known to slurmctld for MinJobAge."""
    done = subprocess.run(["scontrol", "show", "job", "--oneliner", slurm_jobid],
                          capture_output=True, text=True, timeout=30, check=True)
    return dict(re.findall(r"(\S+?)=(\S*)", done.stdout))


def megabytes(amount):
    number, unit = re.fullmatch(r"(\d+)([MGT])", amount).groups()
    return int(number) * {"M": 1, "G": 1024, "T": 1024 ** 2}[unit]


def minutes(limit):
    days, _, clock = limit.rpartition("-")
    hours, mins, _ = map(int, clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + mins


def fit_resources_to_node(config):
    """The config's resources, shrunk so every job fits one small node; the rules still differ in runtime."""
    for resources in config["resources"].values():
        resources.update(mem_mb=min(resources.get("mem_mb", 1000), 1000))
        if "threads" in resources:
            resources["threads"] = min(resources["threads"], os.cpu_count())
    return config


def test_profile_runs_every_job_as_a_slurm_job_with_the_rule_resources(slurm_partition, tiny_workflow,
                                                                        monkeypatch):
    # Jobs inherit the submitting environment; the venv must be found there as it is here.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    config = fit_resources_to_node(tiny_workflow.config)
    # One method keeps the run short; the end-to-end test covers the others.
    config["methods"] = ["kmeans"]
    tiny_workflow.write_config(config)
    slurm_logs = tiny_workflow.workdir / "slurm_logs"

    done = tiny_workflow.run(
        "--profile", str(PROFILE), *TARGETS,
        # These jobs take seconds: a first status check after 2 s instead of the profile's 15 s
        # (which suits a busy scheduler) saves most of the test's waiting.
        "--slurm-init-seconds-before-status-checks", "2",
        # Keep sbatch's output files, in the scratch folder, as evidence of what ran where.
        "--slurm-keep-successful-logs", "--slurm-logdir", str(slurm_logs))
    log = done.stdout + done.stderr

    table = pd.read_csv(tiny_workflow.workdir / "results" / "tiny_ami.csv")
    assert sorted(zip(table["scene"], table["method"], strict=True)) == [("scene_a", "kmeans"), ("scene_b", "kmeans")]
    assert table["ami"].min() > 0.8
    assert (tiny_workflow.workdir / "results" / "tiny_summary.csv").is_file()
    # squeue answered every status query: no fallback to sacct, which needs slurmdbd here
    assert "Falling back to 'sacct'" not in log

    submitted = dict(SUBMITTED.findall(log))
    finished = dict(FINISHED.findall(log))
    assert finished and set(finished) == set(submitted), log[-6000:]
    # one download, per scene a prepare, k-means and scoring job, the list of scored scenes, then the tables
    assert Counter(finished.values()) == {"download_dataset": 1, "prepare_scene": 2, "scored_scenes": 1,
                                          "kmeans": 2, "score_segmentation": 2, "ami_table": 1}

    resources = config["resources"]
    for snakemake_jobid, slurm_jobid in submitted.items():
        job = slurm_job(slurm_jobid)
        rule = finished[snakemake_jobid]
        wanted = {**resources["default"], **resources.get(RESOURCES_OF.get(rule, rule), {})}
        # no partition in the config or profile: the cluster's default one
        assert job["JobState"] == "COMPLETED" and job["Partition"] == slurm_partition
        assert job["Comment"].startswith(f"rule_{rule}")
        assert int(job["CPUs/Task"]) == wanted["threads"]
        assert megabytes(job["MinMemoryNode"]) == wanted["mem_mb"]
        assert minutes(job["TimeLimit"]) == wanted["runtime"]
        # sbatch --output: the job's own log, written on the node
        [job_log] = slurm_logs.glob(f"rule_{rule}/**/{slurm_jobid}.log")
        assert f"Finished jobid: 0 (Rule: {rule})" in job_log.read_text()
