import logging

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin

from rsseg.data.raster import read_labels, read_scene, valid_mask, write_labels, write_raster
from rsseg.errors import InputError


def test_scene_roundtrip_masks_only_pixels_with_every_band_nodata(tmp_path):
    profile = dict(driver="GTiff", width=3, height=2, crs="EPSG:4326", transform=from_origin(0, 2, 1, 1), nodata=0)
    data = np.full((2, 2, 3), 5, dtype=np.uint8)
    data[:, 0, 0] = 0
    data[0, 1, 1] = 0
    write_raster(tmp_path / "s.tif", data, profile)
    image, valid, read_profile = read_scene(tmp_path / "s.tif")
    assert image.dtype == np.float32 and image.shape == (2, 2, 3)
    assert valid.tolist() == [[False, True, True], [True, True, True]]
    assert read_profile["crs"] == "EPSG:4326"


def test_an_images_bands_are_shown_as_their_names_say_never_as_red_green_blue_and_alpha(tmp_path):
    profile = dict(driver="GTiff", width=4, height=4, crs="EPSG:4326", transform=from_origin(0, 4, 1, 1))
    data = np.ones((4, 4, 4), np.uint8)
    write_raster(tmp_path / "named.tif", data, profile, band_names=["nir", "red", "green", "blue"])
    write_raster(tmp_path / "unnamed.tif", data, profile)
    with rasterio.open(tmp_path / "named.tif") as named, rasterio.open(tmp_path / "unnamed.tif") as unnamed:
        assert named.colorinterp == (ColorInterp.undefined, ColorInterp.red, ColorInterp.green, ColorInterp.blue)
        assert named.descriptions == ("nir", "red", "green", "blue")
        # GDAL's guess for four uint8 bands would be red, green, blue, alpha
        assert not {ColorInterp.red, ColorInterp.alpha} & set(unnamed.colorinterp)
    with pytest.raises(ValueError, match="3 band names for 4 bands"):
        write_raster(tmp_path / "wrong.tif", data, profile, band_names=["red", "green", "blue"])


def test_a_label_map_is_written_without_a_gdal_error(tmp_path, caplog):
    profile = dict(width=4, height=4, crs="EPSG:4326", transform=from_origin(0, 4, 1, 1))
    with caplog.at_level(logging.DEBUG):
        write_labels(tmp_path / "l.tif", np.zeros((4, 4), np.uint8), profile)
    with rasterio.open(tmp_path / "l.tif") as src:
        assert src.colorinterp == (ColorInterp.palette,)
    assert "GDAL signalled an error" not in caplog.text


def test_labels_of_another_size_and_band_count_are_rejected(tmp_path):
    profile = dict(driver="GTiff", width=4, height=4, crs="EPSG:4326", transform=from_origin(0, 4, 1, 1))
    write_labels(tmp_path / "l.tif", np.zeros((4, 4), np.uint8), profile)
    with pytest.raises(InputError, match=r"l\.tif: is 4x4 px, expected 4x5 px"):
        read_labels(tmp_path / "l.tif", shape=(4, 5))
    write_raster(tmp_path / "two.tif", np.zeros((2, 4, 4), np.uint8), profile)
    with pytest.raises(InputError, match=r"two\.tif: has 2 band\(s\), expected 1"):
        read_labels(tmp_path / "two.tif")
    with pytest.raises(InputError, match=r"absent\.tif: does not exist"):
        read_labels(tmp_path / "absent.tif")


def test_write_labels_picks_int32_for_large_ids(tmp_path):
    profile = dict(width=2, height=1, crs="EPSG:4326", transform=from_origin(0, 1, 1, 1))
    write_labels(tmp_path / "big.tif", np.array([[0, 70000]]), profile, nodata=-1)
    with rasterio.open(tmp_path / "big.tif") as src:
        assert src.dtypes[0] == "int32" and src.read(1).tolist() == [[0, 70000]] and src.nodata == -1


def test_valid_mask_takes_bands_one_at_a_time_and_every_pixel_without_nodata():
    bands = np.array([[[0, 0, 3]], [[0, 2, 0]]])
    assert valid_mask(bands, 0).tolist() == [[False, True, True]]
    assert valid_mask((band for band in bands), 0).tolist() == [[False, True, True]]
    assert valid_mask(iter(bands), None).all()
    with pytest.raises(ValueError, match="at least one band"):
        valid_mask([], 0)


def test_label_maps_are_cloud_optimized_with_overviews_and_a_colour_table(tmp_path):
    profile = dict(width=600, height=520, crs="EPSG:32650", transform=from_origin(500000, 3400000, 4, 4))
    labels = (np.arange(600)[None, :] // 100 + np.zeros((520, 1), int)).astype(np.uint8)  # stripes 0..5
    labels[:10, :10] = 255
    write_labels(tmp_path / "map.tif", labels, profile, colours=[(255, 0, 0), (0, 255, 0)])
    with rasterio.open(tmp_path / "map.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        # overviews down to one tile
        assert src.profile["tiled"] and src.block_shapes == [(256, 256)] and src.overviews(1) == [2, 4]
        assert np.array_equal(src.read(1), labels) and src.nodata == 255 and src.crs == "EPSG:32650"
        colours = src.colormap(1)
        # the classes' own colours first, distinct hues for the other labels, no data transparent
        assert colours[0] == (255, 0, 0, 255) and colours[1] == (0, 255, 0, 255) and colours[255][3] == 0
        assert len({colours[i] for i in range(2, 6)}) == 4
        # an overview pixel is a label (nearest neighbour), never a mean of two labels
        assert set(np.unique(src.read(1, out_shape=(260, 300)))) <= set(range(6)) | {255}
    assert [p.name for p in tmp_path.iterdir()] == ["map.tif"]  # written beside it, renamed into place
