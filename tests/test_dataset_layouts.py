"""Every dataset of config/config.yaml, rebuilt tiny in its real layout and encoding, decodes to its classes."""

import logging

import numpy as np
import pytest
import rasterio
import yaml

from conftest import REPO
from dataset_fixtures import AS_DELIVERED, WRITERS
from rsseg.data.datasets import prepare_scene
from rsseg.data.raster import read_labels
from rsseg.data.sources import place_folder
from rsseg.scenes import expects_georeferencing, find_scenes, patterns

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_the_config_entry_finds_the_scenes_and_decodes_bands_and_labels(tmp_path, caplog, name):
    dataset = CONFIG["datasets"][name]
    expected = WRITERS[name](tmp_path / "source")
    found = find_scenes(tmp_path / "source", dataset["layout"])
    assert sorted(found) == sorted(expected)  # images without a label (test splits) are no scenes
    for scene, (classes, image) in expected.items():
        out = tmp_path / "prepared" / scene
        with caplog.at_level(logging.WARNING):
            summary = prepare_scene(found[scene]["image"], found[scene]["label"], image_out=out / "image.tif",
                                    label_out=out / "label.tif", dataset=dataset,
                                    georeferenced=expects_georeferencing(dataset["layout"]))
        assert np.array_equal(read_labels(out / "label.tif"), classes)
        assert summary["scored_pixels"] == np.count_nonzero(classes != 255)
        with rasterio.open(out / "image.tif") as prepared:
            bands = prepared.read().astype(int)
            assert prepared.count == len(dataset["band_names"])
        # bands in the config's order (Potsdam: the infrared band first); JPEG is lossy
        tolerance = 12 if found[scene]["image"].endswith(".jpg") else 0
        assert np.abs(bands - image[[b - 1 for b in dataset["bands"]]].astype(int)).mean() <= tolerance
    if not patterns(dataset["layout"]["image"])[0].endswith(".tif"):
        # PNG and JPEG carry no georeferencing: the workflow says so once per dataset, not per file
        assert not [r for r in caplog.records if "CRS" in r.getMessage() or "geotransform" in r.getMessage()]



@pytest.mark.parametrize("name", sorted(AS_DELIVERED))
def test_the_archives_as_the_publisher_sends_them_are_found_in_the_manual_folder(tmp_path, name):
    """The zips placed as they come (Potsdam's wrapped in one more), and the flat ground truth unpacked by hand."""
    dataset = CONFIG["datasets"][name]
    expected = AS_DELIVERED[name](tmp_path / "manual", tmp_path / "scratch")
    place_folder(tmp_path / "manual", tmp_path / "placed")
    found = find_scenes(tmp_path / "placed", dataset["layout"])
    assert sorted(found) == sorted(expected)
    for scene, (classes, _) in expected.items():
        with rasterio.open(found[scene]["label"]) as labels:
            assert labels.shape == classes.shape
    assert not list((tmp_path / "placed").rglob("*.zip"))  # unpacked, not kept twice
