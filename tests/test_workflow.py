"""The real workflow, end to end, on the tiny dataset served over HTTP from 127.0.0.1."""

import json
import os

import pandas as pd
import pytest
import rasterio

from rsseg.compute_rule import auto_setting, cpu_capabilities

pytestmark = pytest.mark.e2e


def test_ami_table_from_download_to_summary_and_cached_rerun(tiny_default_run):
    work = tiny_default_run.workdir

    table = pd.read_csv(work / "results" / "tiny_ami.csv")
    assert list(table.columns) == ["scene", "method", "seed", "ami", "fmi", "ari", "matched_accuracy", "matched_miou",
                                   "many_to_one_accuracy", "n_segments", "seconds", "cpu_seconds",
                                   "seconds_per_megapixel", "n_pixels", "threads", "setting"]
    assert (table["seed"] == 0).all()
    # the threads each job ran with: the rule's, as .test/config sets them
    assert table.groupby("method")["threads"].max().to_dict() == {"isodata": 2, "kmeans": 2, "superpixel_fcn": 1}
    # the network's setting, which the rule resolved before the jobs ran; none for the baselines
    setting = "/".join(auto_setting(cpu_capabilities()))
    assert (table.loc[table["method"] == "superpixel_fcn", "setting"] == setting).all()
    assert table.loc[table["method"] != "superpixel_fcn", "setting"].isna().all() and (table["cpu_seconds"] > 0).all()
    assert sorted(table["scene"].unique()) == ["scene_a", "scene_b"]
    assert sorted(table["method"].unique()) == ["isodata", "kmeans", "superpixel_fcn"]
    assert table["ami"].between(-0.1, 1).all() and table["fmi"].between(0, 1).all()
    assert (table["n_segments"] >= 2).all() and (table["seconds"] > 0).all()
    # 96x96 px less the 12x12 no-data corner are scored
    assert (table["n_pixels"] == 96 * 96 - 12 * 12).all()
    # the synthetic scene's classes are spectrally distinct: K-means finds them
    assert table.loc[table["method"] == "kmeans", "ami"].min() > 0.8

    summary = pd.read_csv(work / "results" / "tiny_summary.csv")
    assert sorted(summary["method"]) == ["isodata", "kmeans", "superpixel_fcn"]
    assert (summary["n_scenes"] == 2).all() and (summary["n_seeds"] == 1).all()
    assert summary["ami_sd_seeds"].isna().all()  # one seed: its spread is unknown, not 0

    with rasterio.open(work / "results/tiny/scenes/scene_a/image.tif") as img, \
            rasterio.open(work / "results/tiny/segmentations/superpixel_fcn/seed0/scene_a.tif") as seg:
        assert seg.crs == img.crs == "EPSG:32650" and seg.transform == img.transform
        assert seg.shape == img.shape == (96, 96) and seg.read(1)[0, 0] == 255
    info = json.loads((work / "results/tiny/segmentations/superpixel_fcn/seed0/scene_a.json").read_text())
    assert info["device"] == "cpu" and len(info["epoch_losses"]) == 2
    assert info["threads"] == 1  # the rule's threads in .test/config, not one per core of the machine
    # each baseline's run record is its own method's, with its own settings only
    for method, setting in (("kmeans", "n_init"), ("isodata", "max_iterations")):
        record = json.loads((work / f"results/tiny/segmentations/{method}/seed0/scene_a.json").read_text())
        assert record["method"] == method and setting in record["params"]
    assert (work / "logs/download/tiny.log").read_text().count("sha256 ok") == 1
    # no job's log holds an error line of GDAL's (a colour table written after the data made one in every map's)
    assert [log.name for log in (work / "logs").rglob("*.log") if "GDAL signalled an error" in log.read_text()] == []
    # unpacked in a temporary folder, yet readable by the group like any other output (umask, not mkdtemp's 0700)
    umask = os.umask(0)
    os.umask(umask)
    assert (work / "resources/datasets/tiny").stat().st_mode & 0o777 == 0o777 & ~umask

    # the matched counts: .test/config's methods at the 5 classes and at 8, the FCN at its own count and the
    # control at that count, scene by scene
    clusters = pd.read_csv(work / "results" / "tiny_clusters.csv", dtype={"clusters": str})
    rows = list(zip(clusters["method"], clusters["clusters"], strict=True))
    assert rows == [("superpixel_fcn", "emergent"), ("superpixel_kmeans", "fcn")] + [
        (method, count) for method in ("kmeans", "superpixel_fcn_consensus", "superpixel_kmeans") for count in "58"]
    by_row = clusters.set_index(["method", "clusters"])
    assert by_row.loc[("superpixel_kmeans", "fcn"), "n_segments"] == by_row.loc[("superpixel_fcn", "emergent"),
                                                                                 "n_segments"]
    assert (by_row.xs("5", level="clusters")["n_segments"] <= 5).all()
    assert by_row.xs("5", level="clusters")["matched_accuracy"].between(0, 1).all()
    assert (clusters["n_seeds"] == 1).all() and clusters["ami_mean"].between(-0.1, 1).all()

    again = tiny_default_run.run("results/tiny_ami.csv", "results/tiny_summary.csv")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_every_seed_is_a_run_of_its_own_and_the_summary_gives_their_mean_and_spread(tiny_workflow):
    # as typed on the command line: Snakemake reads the list with YAML's base loader, as strings
    tiny_workflow.run("results/tiny_ami.csv", "results/tiny_summary.csv", "--config", "seeds=[0,1]")
    work = tiny_workflow.workdir
    table = pd.read_csv(work / "results" / "tiny_ami.csv")
    assert sorted(set(zip(table["method"], table["seed"], strict=True))) == [
        (method, seed) for method in ("isodata", "kmeans", "superpixel_fcn") for seed in (0, 1)]
    assert len(table) == 2 * 3 * 2 and table["threads"].notna().all()
    infos = [json.loads((work / f"results/tiny/segmentations/superpixel_fcn/seed{seed}/scene_a.json").read_text())
             for seed in (0, 1)]
    assert [info["params"]["seed"] for info in infos] == [0, 1] and infos[0]["threads"] == infos[1]["threads"] == 1
    assert infos[0]["epoch_losses"] != infos[1]["epoch_losses"]  # another seed trains another model

    summary = pd.read_csv(work / "results" / "tiny_summary.csv").set_index("method")
    for method, rows in table.groupby("method"):
        row = summary.loc[method]
        assert (row["n_scenes"], row["n_seeds"]) == (2, 2)
        assert row["ami_mean"] == pytest.approx(rows["ami"].mean(), abs=2e-4)
        assert row["ami_sd_seeds"] == pytest.approx(rows.groupby("seed")["ami"].mean().std(ddof=1), abs=2e-4)
        assert row["ami_sd_scenes"] == pytest.approx(rows.groupby("scene")["ami"].mean().std(ddof=1), abs=2e-4)


def test_the_consensus_of_short_runs_is_a_row_of_the_tables(tiny_workflow):
    tiny_workflow.run("results/tiny_ami.csv", "results/tiny_summary.csv", "--config",
                      "methods=[superpixel_fcn_consensus]")
    work = tiny_workflow.workdir
    table = pd.read_csv(work / "results" / "tiny_ami.csv")
    assert table["method"].tolist() == ["superpixel_fcn_consensus"] * 2 and (table["seed"] == 0).all()
    assert table["ami"].between(-0.1, 1).all() and (table["threads"] == 1).all()
    info = json.loads((work / "results/tiny/segmentations/superpixel_fcn_consensus/seed0/scene_a.json").read_text())
    # .test/config: 2 runs of 1 pass over the 2x2 windows of the 48x48 grid (at least 4 steps), run seeds 0 and
    # 2 (run_seed) for the study's seed 0
    assert info["run_seeds"] == [0, 2] and [len(losses) for losses in info["run_losses"]] == [1, 1]
    assert (info["grid_windows"], info["run_steps"]) == (4, 4)
    assert info["params"]["runs"] == 2 and info["params"]["seed"] == 0 and info["threads"] == 1
    with rasterio.open(work / "results/tiny/segmentations/superpixel_fcn_consensus/seed0/scene_a.tif") as seg:
        labels = seg.read(1)
    assert labels[0, 0] == 255 and len(set(labels[labels != 255].tolist())) == info["n_clusters"]
    summary = pd.read_csv(work / "results" / "tiny_summary.csv")
    assert summary["method"].tolist() == ["superpixel_fcn_consensus"]


def test_checksum_mismatch_fails_with_one_line_and_leaves_no_dataset(tiny_workflow):
    config = tiny_workflow.config
    config["datasets"]["tiny"]["checksum"] = "sha256:" + "0" * 64
    tiny_workflow.write_config(config)
    done = tiny_workflow.run("results/tiny_ami.csv", check=False)
    assert done.returncode != 0
    assert "sha256 mismatch: expected " + "0" * 64 in done.stderr
    # like an unreachable source, the mismatch says where a manual copy goes
    assert f"place a manual copy (sha256:{'0' * 64}) at resources/downloads/tiny/tiny.tar.gz and rerun" in done.stderr
    assert not (tiny_workflow.workdir / "resources" / "datasets" / "tiny").exists()
    assert not list((tiny_workflow.workdir / "resources" / "downloads" / "tiny").glob("*"))


def test_unreachable_source_says_where_to_put_a_manual_copy(tiny_workflow):
    config = tiny_workflow.config
    url = config["datasets"]["tiny"]["source"]
    config["datasets"]["tiny"]["source"] = url.replace("tiny.tar.gz", "gone.tar.gz")
    tiny_workflow.write_config(config)
    done = tiny_workflow.run("results/tiny_ami.csv", check=False)
    assert done.returncode != 0
    assert "resources/downloads/tiny/gone.tar.gz: missing and cannot download" in done.stderr
    assert "place a manual copy (sha256" in done.stderr
