"""No silent wrong result and no stale state, through the real workflow: NaN pixels, a damaged cached
intermediate, label maps a GIS opens at once, manual folders placed again when they change, a source file
replaced by an older one, and no job run again for a setting that changes nothing it writes."""

import os
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from conftest import CRS, GID5_COLOURS, REPO, assert_one_line_failure, jobs_of, synthetic_scene, write_gid_like
from dataset_fixtures import write_vaihingen, write_vaihingen_zips

pytestmark = pytest.mark.e2e

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SIZE = 272
"""Pixels of the float scenes: larger than a label map's 256 px tile, so their maps get an overview."""
BLOCK = (slice(100, 140), slice(60, 120))


def write_float_scene(folder, nan_block):
    """A 3-band (red, green, blue) float32 GeoTIFF and its colour labels under ``folder``. With ``nan_block``
    a block of one band is NaN and one pixel infinite; else those pixels are the no-data value 0 in every band."""
    image, classes = synthetic_scene(SIZE, SIZE, seed=3)
    image = image[1:].astype(np.float32)
    if nan_block:
        image[0][BLOCK] = np.nan
        image[:, 5, 200] = np.inf
    else:
        image[(slice(None), *BLOCK)] = 0
        image[:, 5, 200] = 0
    colours = np.array(GID5_COLOURS, dtype=np.uint8)[classes].transpose(2, 0, 1)
    profile = dict(driver="GTiff", width=SIZE, height=SIZE, crs=CRS, transform=from_origin(500000, 3400000, 4, 4))
    for name, data in (("images", image), ("labels", colours)):
        (folder / name).mkdir(parents=True)
        with rasterio.open(folder / name / "s.tif", "w", count=3, dtype=data.dtype.name, **profile) as dst:
            dst.write(data)


def float_dataset(source):
    return {**CONFIG["datasets"]["gid"], "source": str(source), "bands": [1, 2, 3],
            "band_names": ["red", "green", "blue"],  # no NIR, and no composite_bands of its own
            "layout": {"image": "images/{scene}.tif", "label": "labels/{scene}.tif"}}


def test_nan_pixels_are_no_data_and_a_damaged_cache_is_made_again_with_the_table(tiny_workflow, tmp_path):
    for name, nan_block in (("nan", True), ("nodata", False)):
        write_float_scene(tmp_path / name, nan_block)
    config = tiny_workflow.config
    config["datasets"].update(nan=float_dataset(tmp_path / "nan"), nodata=float_dataset(tmp_path / "nodata"))
    tiny_workflow.write_config(config)
    work = tiny_workflow.workdir
    # the scene figure needs report.composite's nir, which these datasets lack: shown as red, green, blue
    tiny_workflow.run("results/nan_ami.csv", "results/nodata_ami.csv", "results/nan/figures/s.png")

    nan, nodata = (pd.read_csv(work / f"results/{name}_ami.csv").set_index("method") for name in ("nan", "nodata"))
    assert sorted(nan.index) == ["isodata", "kmeans", "superpixel_fcn"]
    # every method and the scores saw the NaN scene exactly as the scene with no data in its place
    assert nan["ami"].to_dict() == nodata["ami"].to_dict() and (nan["ami"] > 0.3).all()
    assert (nan["n_pixels"] == SIZE * SIZE - (SIZE // 8) ** 2 - 40 * 60 - 1).all()
    with rasterio.open(work / "results/nan/scenes/s/image.tif") as a, \
            rasterio.open(work / "results/nodata/scenes/s/image.tif") as b:
        assert np.isfinite(a.read()).all() and np.array_equal(a.read(), b.read())
    assert "(2401 NaN or infinite pixels)" in (work / "logs/nan/prepare_scene/s.log").read_text()
    assert (work / "results/nan/figures/s.png").stat().st_size > 0

    # label maps are Cloud-Optimized GeoTIFFs with overviews and colours; the prepared labels the dataset's
    for path in ("results/nan/segmentations/superpixel_fcn/seed0/s.tif", "results/nan/scenes/s/label.tif"):
        with rasterio.open(work / path) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG" and src.overviews(1) == [2]
            assert src.colormap(1)[255][3] == 0  # no data transparent
    with rasterio.open(work / "results/nan/scenes/s/label.tif") as src:
        assert [src.colormap(1)[i][:3] for i in range(5)] == GID5_COLOURS

    superpixels = work / "results/nan/scenes/s/superpixels.tif"
    fcn_map = work / "results/nan/segmentations/superpixel_fcn/seed0/s.tif"
    with open(superpixels, "r+b") as damaged:  # as `truncate -s 1000` leaves it
        damaged.truncate(1000)
    done = tiny_workflow.run("results/nan_ami.csv", check=False)
    assert_one_line_failure(done, "results/nan/scenes/s/superpixels.tif: cannot be decoded (")
    assert "; removed it: the next run makes it again" in done.stderr
    assert "GDAL signalled" not in done.stderr  # GDAL's INFO lines stay in the job's log
    assert not superpixels.exists() and not fcn_map.exists()

    tiny_workflow.run("results/nan_ami.csv")  # made again: the superpixels, the FCN map, its score, the table
    table = work / "results/nan_ami.csv"
    assert superpixels.exists() and table.stat().st_mtime >= fcn_map.stat().st_mtime
    assert pd.read_csv(table).set_index("method")["ami"].to_dict() == nan["ami"].to_dict()
    again = tiny_workflow.run("results/nan_ami.csv", "--dry-run")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_a_manual_folder_is_placed_again_when_it_changes_and_takes_the_zips_isprs_sends(tiny_workflow, tmp_path):
    folder = tmp_path / "ISPRS_Vaihingen"
    folder.mkdir()
    config = tiny_workflow.config
    config["datasets"]["vaihingen"] = {**CONFIG["datasets"]["vaihingen"], "source": str(folder)}
    tiny_workflow.write_config(config)
    target = "results/vaihingen/scenes/area1/info.json"

    done = tiny_workflow.run(target, check=False)  # nothing there yet
    assert_one_line_failure(done, f"{folder}: no file matches layout.image top/top_mosaic_09cm_{{scene}}.tif or "
                                  "Vaihingen/top/top_mosaic_09cm_{scene}.tif; see datasets.vaihingen.layout")

    write_vaihingen(tmp_path / "unpacked")
    shutil.copytree(tmp_path / "unpacked" / "top", folder / "top")
    shutil.copytree(tmp_path / "unpacked" / "ground_truth", folder / "gts")  # not where the layout looks
    done = tiny_workflow.run(target, check=False)
    assert_one_line_failure(done, f"{folder}: 3 image(s) match layout.image, but none has its label at "
                                  "layout.label ground_truth/top_mosaic_09cm_{scene}.tif or top_mosaic_09cm_{scene}"
                                  ".tif or Vaihingen/top_mosaic_09cm_{scene}.tif (for top/top_mosaic_09cm_area1.tif: "
                                  "ground_truth/top_mosaic_09cm_area1.tif); see datasets.vaihingen.layout")

    # what ISPRS sends, as it comes: placed again, without deleting anything by hand
    shutil.rmtree(folder / "top")
    shutil.rmtree(folder / "gts")
    expected = write_vaihingen_zips(folder, tmp_path / "scratch")
    tiny_workflow.run(target)
    with rasterio.open(tiny_workflow.workdir / "results/vaihingen/scenes/area1/label.tif") as labels:
        assert np.array_equal(labels.read(1), expected["area1"][0])

    with zipfile.ZipFile(folder / "evil.zip", "w") as archive:
        archive.writestr("../escaped.txt", "x")
    done = tiny_workflow.run(target, check=False)
    assert_one_line_failure(done, f"{folder / 'evil.zip'}: holds an unsafe path, '../escaped.txt', that would be "
                                  "written outside the folder it is unpacked into; refused")
    assert not (tiny_workflow.workdir / "resources/datasets/escaped.txt").exists()

    done = tiny_workflow.run("results/nosuch_ami.csv", check=False)
    assert_one_line_failure(done, "dataset 'nosuch' is not in the config (known: tiny, vaihingen)")


def test_a_setting_that_changes_no_output_reruns_nothing_and_an_older_replaced_source_file_reruns_its_scene(
        local_workflow, tmp_path):
    work, target = local_workflow.workdir, "results/tiny_ami.csv"
    local_workflow.run(target)

    def jobs(*args):
        """The jobs a run of the table with ``args`` runs (with -n: would run), counted by rule."""
        return jobs_of(local_workflow.run(target, *args))

    # skip_unscored_scenes only decides whether a scene without a scored pixel stops the run: switching it on and
    # off again remakes the list of scored scenes, not the scenes, superpixels, segmentations or scores
    for setting in ("skip_unscored_scenes=true", "skip_unscored_scenes=false"):
        ran = jobs("--config", setting)
        assert "scored_scenes" in ran and set(ran) <= {"scored_scenes", "ami_table"}, (setting, ran)
    # a method's setting reruns that method's jobs only; nothing does the same value merged in another key order,
    # nor a part of the dataset's entry that no prepared scene depends on
    assert jobs("-n", "--config", "kmeans={n_init: 2}") == {"kmeans": 2, "score_segmentation": 2, "ami_table": 1}
    assert jobs("-n", "--config", "isodata={max_iterations: 6}") == {"isodata": 2, "score_segmentation": 2,
                                                                    "ami_table": 1}
    assert jobs("-n", "--config", "kmeans={n_init: 1}",
                "datasets={tiny: {licence: CC0, farmland: [], manual: elsewhere}}") == {}

    # scene_a's image, two folders deep in the source, replaced by another with an older time (as unzip -o, cp -p,
    # rsync -a and tar x leave it), which Snakemake's comparison of modification times takes for up to date
    image = local_workflow.source / "image_NirRGB" / "scene_a.tif"
    replacement, _ = write_gid_like(tmp_path / "other", "scene_a", seed=7)
    shutil.copyfile(tmp_path / "other" / "image_NirRGB" / "scene_a.tif", image)
    os.utime(image, (1e9, 1e9))  # 2001
    before = pd.read_csv(work / target).set_index(["scene", "method"])["ami"]
    ran = jobs()
    assert ran["prepare_scene"] == 1 and ran["superpixel_fcn"] == 1  # scene_a's jobs, not scene_b's
    with rasterio.open(work / "results/tiny/scenes/scene_a/image.tif") as prepared:
        assert np.array_equal(prepared.read(), replacement)
    after = pd.read_csv(work / target).set_index(["scene", "method"])["ami"]
    assert (after["scene_b"] == before["scene_b"]).all() and not after["scene_a"].equals(before["scene_a"])
    assert jobs("-n") == {}
