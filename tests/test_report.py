"""Figures of the report (rsseg.report.figures) and `snakemake --report` on the tiny end-to-end run."""

import re
import shutil

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from rasterio.transform import from_origin

from conftest import GID5_COLOURS, TEST_DATA, TEST_DIR, Workflow, synthetic_scene
from rsseg import IGNORE_LABEL
from rsseg.data.labels import majority_classes
from rsseg.data.raster import write_labels, write_raster
from rsseg.evaluation.farmland import FARMLAND_COLUMNS
from rsseg.report.figures import (
    UNMATCHED_COLOUR,
    ami_chart,
    class_palette,
    composite,
    display_shape,
    farmland_chart,
    scene_figure,
    segment_boundaries,
    segments_as_classes,
)

GID5 = {"type": "colour", "classes": [{"name": n, "colour": list(c)} for n, c in
                                      zip(["built-up", "farmland", "forest", "meadow", "water"], GID5_COLOURS,
                                          strict=True)]}
NAMES = [c["name"] for c in GID5["classes"]]


def read_png(path):
    """RGB(A) floats of a PNG, and its size in pixels."""
    picture = matplotlib.image.imread(path)
    return picture, picture.shape[:2]


def test_palette_is_the_datasets_colour_table_or_a_fixed_qualitative_one():
    assert np.allclose(class_palette(GID5) * 255, GID5_COLOURS)
    index = {"type": "index", "classes": [{"name": f"c{i}", "value": i + 1} for i in range(7)]}
    palette = class_palette(index)
    assert palette.shape == (7, 3) and len({tuple(c) for c in palette}) == 7
    assert np.allclose(class_palette(index), palette)  # the same colours in every figure
    many = {"type": "index", "classes": [{"name": f"c{i}", "value": i} for i in range(15)]}
    assert len({tuple(c) for c in class_palette(many)}) == 15


def test_display_shape_shrinks_the_longer_side_and_never_enlarges():
    assert display_shape(7200, 6800, 1000) == (1000, 944)
    assert display_shape(96, 80, 1000) == (96, 80)


def test_each_segment_takes_the_class_it_overlaps_most():
    truth = np.array([[0, 0, 1, 1],
                      [0, 1, 1, 1],
                      [2, 2, 2, IGNORE_LABEL],
                      [IGNORE_LABEL, IGNORE_LABEL, 3, 3]])
    segments = np.array([[7, 7, 7, 9],
                         [7, 9, 9, 9],
                         [40, 40, 9, 5],
                         [5, 5, 12, 12]])
    ids, classes = majority_classes(segments, truth, n_classes=4)
    # 7: two of class 0, one of class 1; 9: four of class 1, one of class 2; 40: class 2; 5: no labelled
    # pixel; 12: class 3
    assert ids.tolist() == [5, 7, 9, 12, 40]
    assert classes.tolist() == [-1, 0, 1, 3, 2]


def test_majority_ties_go_to_the_lower_class_and_several_segments_may_share_one():
    truth = np.array([[1, 0, 2, 2]])
    segments = np.array([[3, 3, 8, 9]])
    ids, classes = majority_classes(segments, truth, n_classes=3)
    assert dict(zip(ids.tolist(), classes.tolist(), strict=True)) == {3: 0, 8: 2, 9: 2}


def test_segments_as_classes_marks_invalid_and_unmatched_pixels():
    truth = np.array([[0, 1, IGNORE_LABEL]])
    segments = np.array([[4, 6, 8]])
    valid = np.array([[True, False, True]])
    classes, unmatched = segments_as_classes(segments, truth, 2, valid)
    assert classes.tolist() == [[0, IGNORE_LABEL, IGNORE_LABEL]]
    assert unmatched.tolist() == [[False, False, True]]
    with pytest.raises(ValueError, match="same grid"):
        majority_classes(segments, truth[:, :2], 2)


def test_boundaries_are_where_a_neighbour_is_another_segment():
    segments = np.array([[1, 1, 2],
                         [1, 1, 2],
                         [3, 3, 3]])
    edges = segment_boundaries(segments, np.ones(segments.shape, bool))
    assert edges.astype(int).tolist() == [[0, 1, 0],
                                          [1, 1, 1],
                                          [0, 0, 0]]


def test_composite_stretches_bands_and_makes_nodata_transparent():
    image, _ = synthetic_scene(40, 40)
    picture = composite(image[:3], nodata=0)
    assert picture.shape == (40, 40, 4)
    assert picture[..., 3][:5, :5].max() == 0 and picture[..., 3][20:, 20:].min() == 1
    assert picture.min() >= 0 and picture.max() <= 1
    with pytest.raises(ValueError, match="three bands"):
        composite(image, nodata=0)


@pytest.fixture
def scene_files(tmp_path):
    """A 96x96 scene, its labels (no-data corner unlabelled) and a segmentation of 10 segments, 2 per
    class, one of them over unlabelled pixels only."""
    image, classes = synthetic_scene(96, 96)
    valid = ~(image == 0).all(axis=0)
    profile = dict(driver="GTiff", width=96, height=96, crs="EPSG:32650", transform=from_origin(0, 0, 4, 4),
                   nodata=0)
    write_raster(tmp_path / "image.tif", image, profile)
    write_labels(tmp_path / "truth.tif", np.where(valid, classes, IGNORE_LABEL), profile)
    segments = classes * 2 + (np.arange(96)[None, :] >= 48)
    segments[:12, :12] = 10
    write_labels(tmp_path / "segments.tif", segments, profile)
    return tmp_path


def colours_in(picture):
    return {tuple(c) for c in (picture[..., :3].reshape(-1, 3) * 255).round().astype(int)}


def test_scene_figure_shows_every_method_with_the_truths_colours(scene_files):
    out = scene_files / "figures" / "scene.png"
    scene_figure(out, title="scene_a", image_path=scene_files / "image.tif", composite_bands=[0, 1, 2],
                 truth_path=scene_files / "truth.tif",
                 segmentations=[("kmeans", scene_files / "segments.tif", 0.83),
                                ("isodata", scene_files / "segments.tif", None)],
                 class_names=NAMES, palette=class_palette(GID5))
    picture, (height, width) = read_png(out)
    assert width > 3 * height  # image, truth and two methods in one row
    assert set(GID5_COLOURS) <= colours_in(picture)
    assert [p.name for p in out.parent.iterdir()] == ["scene.png"]  # written atomically, no leftovers

    quick = scene_files / "figures" / "quick.png"
    scene_figure(quick, title="scene_a: kmeans", image_path=scene_files / "image.tif", composite_bands=[0, 1, 2],
                 truth_path=scene_files / "truth.tif", segmentations=[("kmeans", scene_files / "segments.tif", 0.83)],
                 class_names=NAMES, palette=class_palette(GID5), with_truth=False)
    quick_picture, (quick_height, quick_width) = read_png(quick)
    assert quick_height == height and quick_width < width / 1.5
    # the unmatched segment's grey is on the map and in the legend
    assert tuple(round(c * 255) for c in UNMATCHED_COLOUR) in colours_in(quick_picture)


def test_a_large_scene_is_decimated_to_the_figure_size(tmp_path):
    profile = dict(driver="GTiff", width=3000, height=2000, crs="EPSG:32650",
                   transform=from_origin(500000, 3400000, 1, 1))
    rows, cols = np.mgrid[0:2000, 0:3000]
    write_raster(tmp_path / "image.tif", np.stack([rows % 251, cols % 253, (rows + cols) % 255]).astype(np.uint8),
                 dict(profile, nodata=0))
    truth = ((rows // 500) % 5).astype(np.uint8)
    write_labels(tmp_path / "truth.tif", truth, profile)
    write_labels(tmp_path / "segments.tif", (cols // 300).astype(np.uint8), profile)
    small, large = tmp_path / "small.png", tmp_path / "large.png"
    for path, max_size in ((small, 100), (large, 400)):
        scene_figure(path, title="big", image_path=tmp_path / "image.tif", composite_bands=[0, 1, 2],
                     truth_path=tmp_path / "truth.tif", segmentations=[("m", tmp_path / "segments.tif", 0.1)],
                     class_names=NAMES, palette=class_palette(GID5), max_size=max_size)
    # the figure's size is fixed; a finer map only adds detail
    assert read_png(small)[1] == read_png(large)[1]


def test_ami_chart_and_farmland_chart_are_written(tmp_path):
    summary = pd.DataFrame({"method": ["superpixel_fcn", "kmeans"], "n_scenes": [2, 2], "ami_mean": [0.4, 0.3],
                            "ami_sd_seeds": [0.05, float("nan")]})
    table = pd.DataFrame({"scene": ["a", "a", "b", "b"], "method": ["superpixel_fcn", "kmeans"] * 2,
                          "ami": [0.45, 0.25, 0.35, 0.35]})
    ami_chart(tmp_path / "ami.png", summary, table)
    picture, (height, width) = read_png(tmp_path / "ami.png")
    assert height > 200 and width > 300
    # the bars take tab10's first colours, one per method
    assert {(31, 119, 180), (255, 127, 14)} <= colours_in(picture)

    rows = [["a", "a_000", 0.5, 0.6, 0.8, 6, 4, 2, 100], ["all", "total", 0.5, 0.6, 0.8, 6, 4, 2, 100]]
    farmland_chart(tmp_path / "farmland.png", pd.DataFrame(rows, columns=FARMLAND_COLUMNS))
    assert read_png(tmp_path / "farmland.png")[1][1] > 300
    with pytest.raises(ValueError, match="needs a patch_id column"):
        farmland_chart(tmp_path / "bad.png", pd.DataFrame({"iou": [0.5]}))


FIGURES = ["charts/ami.png", "charts/clusters.png", "figures/scene_a.png", "figures/scene_b.png",
           *[f"figures/{method}/{scene}.png" for scene in ("scene_a", "scene_b")
             for method in ("superpixel_fcn", "kmeans", "isodata")]]
"""The report's figures of the tiny run, under results/tiny/."""


@pytest.mark.e2e
def test_report_of_the_tiny_run_holds_tables_figures_and_captions(tiny_default_run):
    work = tiny_default_run.workdir
    for name in FIGURES:
        assert read_png(work / "results/tiny" / name)[1][1] > 300, name
    stored, html = tiny_default_run.report()
    assert stored == sorted([*(name.rsplit("/", 1)[-1] for name in FIGURES), "tiny_ami.csv", "tiny_summary.csv",
                             "tiny_clusters.csv"])
    # captions rendered with the job's wildcards and config, and the workflow description
    assert "Scene scene_b of dataset tiny" in html and "bands nir, red, green" in html
    assert "Quick-look of method isodata on scene scene_a" in html
    assert "superpixel-guided FCN of Chen et al." in html

    # long steps log their progress: download size, training epochs
    assert "tiny.tar.gz: " in (work / "logs/download/tiny.log").read_text()
    assert "(100%)" in (work / "logs/download/tiny.log").read_text()
    assert "epoch 2/2" in (work / "logs/tiny/superpixel_fcn/seed0/scene_a.log").read_text()
    assert "wrote results/tiny/figures/scene_a.png" in (work / "logs/tiny/figures/scene_a.log").read_text()

    again = tiny_default_run.run("--dry-run")
    assert "Nothing to be done" in again.stdout + again.stderr


def planned_outputs(dry_run):
    """``{output path: rule}`` of the jobs a dry run plans."""
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    output: (.*)$", dry_run, re.M)
    return {path: rule for rule, outputs in jobs for path in outputs.split(", ")}


@pytest.mark.e2e
def test_a_scene_named_like_a_chart_or_a_quick_look_has_a_figure_of_its_own(tmp_path):
    """Charts, scene figures and quick-looks lie in paths of their own: a scene named like a chart (``ami``) or
    like a quick-look of another scene (``scene_kmeans``) is drawn by the scene figure's rule, with no ruleorder."""
    source = tmp_path / "data" / "tiny"
    for scene in ("ami", "scene_kmeans"):
        for folder, suffix in (("image_NirRGB", ""), ("label_5classes", "_label")):
            (source / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(TEST_DATA / "tiny" / folder / f"scene_a{suffix}.tif", source / folder / f"{scene}{suffix}.tif")
    workflow = Workflow(tmp_path / "work")
    config = yaml.safe_load((TEST_DIR / "config" / "config.yaml").read_text())
    config["datasets"]["tiny"]["source"] = str(source.parent)
    workflow.write_config(config)
    workflow.run("resources/datasets/tiny")  # scene names are known once the source is in place
    wanted = {"results/tiny/figures/ami.png": "scene_figure", "results/tiny/charts/ami.png": "ami_chart",
              "results/tiny/figures/scene_kmeans.png": "scene_figure",
              "results/tiny/figures/kmeans/ami.png": "method_figure"}
    plan = workflow.run("--dry-run", *wanted).stdout
    assert {path: rule for path, rule in planned_outputs(plan).items() if path in wanted} == wanted
