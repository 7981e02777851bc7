"""GID-MTL mosaics: crops tiled row-major into one scene, written as the workflow's datasets read them."""

import numpy as np
import pytest
import rasterio
from PIL import Image

from rsseg import IGNORE_LABEL
from rsseg.data import mosaic


def write_crops(folder, names, size=4, unlabelled=5):
    """Crops whose red band is their index and whose labels are their index, with one unlabelled pixel each."""
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir(parents=True)
    for index, name in enumerate(names):
        Image.fromarray(np.full((size, size, 3), index + 1, dtype=np.uint8)).save(folder / "images" / name)
        labels = np.full((size, size), index % unlabelled, dtype=np.uint8)
        labels[0, 0] = unlabelled
        Image.fromarray(labels).save(folder / "labels" / name)


def test_crops_are_tiled_row_major_and_the_empty_places_are_no_data(tmp_path):
    write_crops(tmp_path / "gid-mtl5", [f"farmland__{i}.png" for i in range(5)])
    lines = mosaic.write_mosaics(tmp_path, tmp_path / "out")
    assert lines == [f"{tmp_path / 'out' / 'gid-mtl5'}: 5 crops, 12x8 px"]
    with rasterio.open(tmp_path / "out" / "gid-mtl5" / "images" / "mosaic.tif") as src:
        image, nodata = src.read(), src.nodata
    with rasterio.open(tmp_path / "out" / "gid-mtl5" / "labels" / "mosaic.tif") as src:
        labels = src.read(1)
    # 3 columns (ceil(sqrt(5))), 2 rows; the crops in name order; the sixth place empty
    assert image.shape == (3, 8, 12) and nodata == 0
    assert image[0, ::4, ::4].tolist() == [[1, 2, 3], [4, 5, 0]]
    assert labels[1::4, 1::4].tolist() == [[0, 1, 2], [3, 4, IGNORE_LABEL]]
    assert labels[0, 0] == IGNORE_LABEL  # the crop's unlabelled pixel


def test_a_limit_spreads_the_crops_over_the_sorted_names(tmp_path):
    names = [f"{cls}__{i}.png" for cls in ("a", "b", "c") for i in range(4)]
    write_crops(tmp_path / "gid-mtl15", names, unlabelled=15)
    assert mosaic.tile_names(tmp_path / "gid-mtl15", 3) == ["a__0.png", "b__2.png", "c__3.png"]
    assert len(mosaic.tile_names(tmp_path / "gid-mtl15", 50)) == 12


def test_crops_of_another_size_are_cut_to_the_smallest():
    tiles = [(np.ones((3, 5, 5), np.uint8), np.zeros((5, 5), np.uint8)),
             (np.full((3, 4, 4), 2, np.uint8), np.ones((4, 4), np.uint8))]
    image, truth = mosaic.build_mosaic(tiles)
    assert image.shape == (3, 4, 8) and truth[:, 4:].min() == 1


def test_a_folder_without_crops_is_named(tmp_path, capsys):
    assert mosaic.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert f"no GID-MTL collection under {tmp_path}" in capsys.readouterr().err
    (tmp_path / "gid-mtl5" / "images").mkdir(parents=True)
    with pytest.raises(ValueError, match="holds no .png crop"):
        mosaic.write_mosaics(tmp_path, tmp_path / "out")
