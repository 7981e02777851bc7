import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin

from rsseg.data.patches import MANIFEST_COLUMNS, PatchParams, sample_patches
from rsseg.data.raster import write_labels, write_raster
from rsseg.errors import InputError

HEIGHT, WIDTH = 60, 80
TRANSFORM = from_origin(500000.0, 3400000.0, 4.0, 4.0)


@pytest.fixture
def scene(tmp_path):
    """A 2-band scene whose pixel values encode their position, with a no-data block top left."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    image = np.stack([rows + 1, cols + 1]).astype(np.uint16)
    image[:, :40, :40] = 0
    labels = ((rows * WIDTH + cols) % 200).astype(np.uint8)
    profile = dict(driver="GTiff", width=WIDTH, height=HEIGHT, crs="EPSG:32650", transform=TRANSFORM, nodata=0)
    write_raster(tmp_path / "image.tif", image, profile)
    write_labels(tmp_path / "labels.tif", labels, profile)
    return tmp_path / "image.tif", tmp_path / "labels.tif"


def sample(scene, out_dir, seed=0, count=5, size=16, min_valid_fraction=0.9, name="s1"):
    params = PatchParams(size=size, n_patches=count, min_valid_fraction=min_valid_fraction)
    return sample_patches(scene[0], scene[1], out_dir, scene=name, params=params, seed=seed)


def test_same_seed_same_patches_other_seed_or_scene_other_patches(scene, tmp_path):
    first = sample(scene, tmp_path / "a")
    again = sample(scene, tmp_path / "b")
    assert list(first.columns) == MANIFEST_COLUMNS
    assert first[["row", "col"]].equals(again[["row", "col"]])
    assert not first[["row", "col"]].equals(sample(scene, tmp_path / "c", seed=1)[["row", "col"]])
    assert not first[["row", "col"]].equals(sample(scene, tmp_path / "d", name="s2")[["row", "col"]])


def test_exactly_count_distinct_windows_inside_the_image_with_enough_valid_pixels(scene, tmp_path):
    manifest = sample(scene, tmp_path / "p", count=12, min_valid_fraction=0.9)
    assert len(manifest) == 12
    assert manifest["patch_id"].tolist() == [f"s1_p{i:03d}" for i in range(12)]
    assert not manifest.duplicated(["row", "col"]).any()
    assert (manifest[["row", "col"]] >= 0).all().all()
    assert (manifest["row"] + manifest["height"] <= HEIGHT).all()
    assert (manifest["col"] + manifest["width"] <= WIDTH).all()
    for patch in manifest.itertuples():
        with rasterio.open(patch.image) as src:
            valid = (src.read() != 0).any(axis=0)
        assert valid.mean() == pytest.approx(patch.valid_fraction) and patch.valid_fraction >= 0.9
    assert (manifest["seed"] == 0).all() and (manifest["scene"] == "s1").all()


def test_patch_image_and_labels_are_the_window_of_the_scene_on_its_grid(scene, tmp_path):
    manifest = sample(scene, tmp_path / "p", count=3, min_valid_fraction=0.0)
    for patch in manifest.itertuples():
        with rasterio.open(patch.image) as img, rasterio.open(patch.label) as lab:
            image, labels = img.read(), lab.read(1)
            assert img.transform == lab.transform == TRANSFORM @ Affine.translation(patch.col, patch.row)
            assert img.crs == lab.crs == rasterio.crs.CRS.from_epsg(32650)
            assert (img.nodata, lab.nodata) == (0, 255)
        rows, cols = np.mgrid[patch.row:patch.row + 16, patch.col:patch.col + 16]
        inside = image[0] != 0
        assert np.array_equal(image[0][inside], (rows + 1)[inside])
        assert np.array_equal(image[1][inside], (cols + 1)[inside])
        assert np.array_equal(labels, (rows * WIDTH + cols) % 200)


def test_impossible_valid_fraction_and_too_small_scene_are_input_errors(scene, tmp_path):
    # every 48 px window overlaps the 40x40 no-data block; the best is about 90% valid
    with pytest.raises(InputError, match=r"image\.tif: only 0 of 2 distinct 48x48 px windows with at least 95% valid"):
        sample(scene, tmp_path / "p", count=2, size=48, min_valid_fraction=0.95)
    assert len(sample(scene, tmp_path / "r", count=2, size=48, min_valid_fraction=0.85)) == 2
    with pytest.raises(InputError, match=r"image\.tif: is 60x80 px, smaller than the 64x64 px patches"):
        sample(scene, tmp_path / "q", size=64)
