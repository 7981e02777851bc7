"""Bad input through the real workflow: one line naming the file or setting, and no output taken as done."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import rasterio
import torch

from conftest import REPO, SNAKEMAKE, Workflow, assert_one_line_failure, jobs_of, rewrite

pytestmark = pytest.mark.e2e


def test_an_empty_scene_stops_in_prepare_scene_naming_the_image(local_workflow):
    rewrite(local_workflow.source / "image_NirRGB" / "scene_b.tif",
            lambda data, profile: (np.zeros_like(data), profile))
    done = local_workflow.run("results/tiny_ami.csv", check=False)
    image = f"{local_workflow.linked}/image_NirRGB/scene_b.tif"
    assert_one_line_failure(done, f"{image}: has no valid pixel: every pixel is no data")
    assert not (local_workflow.workdir / "results/tiny/scenes/scene_b/image.tif").exists()
    assert not (local_workflow.workdir / "results/tiny_ami.csv").exists()


def test_unscored_scenes_are_left_out_of_the_summary_when_asked_and_counted(local_workflow):
    rewrite(local_workflow.source / "label_5classes" / "scene_b_label.tif",
            lambda data, profile: (np.full_like(data, 7), profile))  # no configured colour
    done = local_workflow.run("results/tiny_ami.csv", check=False)
    labels = f"{local_workflow.linked}/label_5classes/scene_b_label.tif"
    assert_one_line_failure(done, f"{labels}: has no pixel of the configured classes")

    # as a user types it: --config gives the word "true", taken for the boolean it says
    done = local_workflow.run("results/tiny_ami.csv", "--config", "skip_unscored_scenes=true")
    table = pd.read_csv(local_workflow.workdir / "results/tiny_ami.csv")
    summary = pd.read_csv(local_workflow.workdir / "results/tiny_summary.csv")
    assert set(table["scene"]) == {"scene_a"}
    assert (summary["n_scenes"] == 1).all() and (summary["n_unscored_scenes"] == 1).all()
    assert "left out 1 scene(s) without a scored pixel: scene_b" in done.stderr
    assert not (local_workflow.workdir / "results/tiny/segmentations/kmeans/seed0/scene_b.tif").exists()

    # switched off again: the run stops on the scene prepared with the setting on, and makes nothing else again
    done = local_workflow.run("results/tiny_ami.csv", check=False)
    assert_one_line_failure(done, f"{labels}: has no pixel of the configured classes")
    assert jobs_of(done) == {"scored_scenes": 1}


def test_labels_on_another_grid_stop_naming_both_files(local_workflow):
    rewrite(local_workflow.source / "label_5classes" / "scene_a_label.tif",
            lambda data, profile: (data, {**profile, "crs": "EPSG:4326"}))
    done = local_workflow.run("results/tiny_ami.csv", check=False)
    labels = f"{local_workflow.linked}/label_5classes/scene_a_label.tif"
    image = f"{local_workflow.linked}/image_NirRGB/scene_a.tif"
    assert_one_line_failure(done, f"{labels}: is on another grid than {image}: CRS EPSG:4326")
    assert not (local_workflow.workdir / "results/tiny/scenes/scene_a/label.tif").exists()


def folder_with_a_checksum(config):
    config["datasets"]["tiny"]["source"] = "data"  # keeps the archive's checksum, which no folder has


@pytest.mark.parametrize("change, messages", [
    (lambda c: c["datasets"]["tiny"].update(band_names=["nir", "red", "green"]) or folder_with_a_checksum(c),
     ["error: config: datasets.tiny: bands has 4 entries but band_names 3; give one name per selected band",
      "error: config: datasets.tiny.checksum is set, but source data is a local folder, which no checksum "
      "describes; remove the checksum, or give the archive itself as source (file://...)"]),
    (lambda c: c["superpixel_fcn"].update(stride=80),
     ["error: config: superpixel_fcn.stride 80 is larger than superpixel_fcn.window 64: the windows would leave "
      "pixels out"]),
    (lambda c: c.update(superpixel_fnc={"epochs": 1}),
     ["error: config: unknown setting superpixel_fnc (did you mean superpixel_fcn?)"]),
], ids=["problems", "stride", "typo"])
def test_contradicting_or_unknown_settings_stop_the_run_before_any_job(tiny_workflow, change, messages):
    config = tiny_workflow.config
    change(config)
    tiny_workflow.write_config(config)
    done = tiny_workflow.run("results/tiny_ami.csv", check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    # nothing but the problems, one line each (and Snakemake's word that it read the workflow's profile)
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("Using workflow specific")]
    assert set(messages) <= set(lines) and all(line.startswith("error: config: ") for line in lines)
    assert not (tiny_workflow.workdir / "results").exists() and not (tiny_workflow.workdir / "resources").exists()


def test_a_working_directory_without_the_config_stops_in_one_line_naming_it(tmp_path):
    done = Workflow(tmp_path).run("-n", check=False)
    assert_one_line_failure(done, f"{tmp_path / 'config' / 'config.yaml'}: missing; run from the repository root, "
                                  "or give --directory a folder holding config/config.yaml")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_device_cuda_without_a_gpu_fails_in_one_line(local_workflow):
    config = local_workflow.config
    config["device"] = "cuda"
    local_workflow.write_config(config)
    done = local_workflow.run("results/tiny/segmentations/superpixel_fcn/seed0/scene_a.tif", check=False)
    assert_one_line_failure(done, "device: cuda, but torch sees no CUDA GPU on this machine")
    assert not (local_workflow.workdir / "results/tiny/segmentations/superpixel_fcn/seed0/scene_a.tif").exists()


def test_a_text_file_as_a_checkpoint_is_one_line_naming_it(tmp_path):
    text = tmp_path / "sam_vit_b.pth"
    text.write_text("not a checkpoint\n")
    code = ("from rsseg.scripting import run_rule\nfrom rsseg.isagrsc2.weights import load_sam\nimport types\n"
            f"run_rule(lambda s: load_sam({str(text)!r}, 'vit_b', 'cpu'), types.SimpleNamespace(log=[], rule='x'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"error: {text}: is not a SAM vit_b checkpoint (")


@pytest.fixture
def interruptible():
    """Let the processes the test starts take SIGINT as a terminal's Ctrl-C delivers it.

    A shell that starts the tests in the background (``make test &``) sets SIGINT to be ignored, children
    inherit that, and Python then installs no KeyboardInterrupt handler: the interrupted run would go on.
    A handler (not SIG_IGN) in this process becomes the default action in the children.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("whole_group", [True, False], ids=["ctrl-c", "snakemake-only"])
def test_an_interrupted_fcn_job_is_redone_and_gives_what_an_uninterrupted_run_gives(local_workflow, whole_group,
                                                                                   interruptible):
    config = local_workflow.config
    config.update(methods=["superpixel_fcn"])
    config["datasets"]["tiny"]["scenes"] = ["scene_a"]
    config["superpixel_fcn"].update(epochs=400)  # long enough to be interrupted mid-training
    local_workflow.write_config(config)
    target = "results/tiny/segmentations/superpixel_fcn/seed0/scene_a.tif"
    log = local_workflow.workdir / "logs/tiny/superpixel_fcn/seed0/scene_a.log"
    command = [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(local_workflow.workdir),
               "--cores", "2", target]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while not (log.exists() and "epoch 3/400" in log.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, "the FCN job never started training"
        time.sleep(0.1)
    if whole_group:  # Ctrl-C in a terminal signals the foreground process group: Snakemake and the job
        os.killpg(process.pid, signal.SIGINT)
    else:  # Snakemake alone gives up on the job, which goes on to write its outputs
        os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode != 0, (out + err)[-4000:]
    output = local_workflow.workdir / target
    if whole_group:
        assert not output.exists()  # the job died before its atomic writes
        # the job says so in one line, as Ctrl-C in a terminal shows it, without a traceback
        assert "error: interrupted; rerun to resume" in err and "Traceback" not in err, err[-3000:]

    rerun = local_workflow.run(target)  # a plain rerun, as a user types it again
    assert "rule superpixel_fcn:" in rerun.stdout + rerun.stderr  # the job ran again
    with rasterio.open(output) as src:
        interrupted_then_rerun = src.read(1)
    local_workflow.run(target, "--forcerun", "superpixel_fcn")
    with rasterio.open(output) as src:
        assert np.array_equal(src.read(1), interrupted_then_rerun)
