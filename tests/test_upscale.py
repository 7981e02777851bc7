import copy

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from checkpoint_fixtures import write_random_realesrgan
from rsseg.data.raster import read_scene, write_raster
from rsseg.data.spectra import percentile_stretch
from rsseg.errors import InputError
from rsseg.isagrsc2.upscale import iter_upscaled_tiles, upscale_geotiff, upscaled_profile
from rsseg.isagrsc2.weights import load_realesrgan


def upscale_image(model, image, **tiling):
    """An RGB image ``(3, h, w)`` (uint8, or float in [0, 1]) upscaled to uint8 ``(3, s*h, s*w)`` in memory: the
    blocks :func:`iter_upscaled_tiles` gives, each put in its window (the workflow writes them to a GeoTIFF)."""
    _, height, width = np.shape(image)
    out = np.empty((3, height * model.scale, width * model.scale), dtype=np.uint8)
    for window, block in iter_upscaled_tiles(model, image, **tiling):
        out[:, window.row_off:window.row_off + window.height, window.col_off:window.col_off + window.width] = block
    return out


def display_range_model(folder):
    """A small random x4 RRDBNet written to ``folder`` and loaded through spandrel on the CPU, its output spread
    over the display range.

    Random weights alone give outputs near 0, which would hide seams after rounding to uint8.
    """
    path = write_random_realesrgan(folder / "x4.pth", seed=1, num_feat=16, num_block=1)
    model = load_realesrgan(path, "cpu")
    last = model.model.model[-1]
    with torch.no_grad():
        last.weight *= 20
        last.bias.fill_(0.5)
    return model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return display_range_model(tmp_path_factory.mktemp("esrgan"))


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).integers(0, 256, size=(3, 40, 48), dtype=np.uint8)


def test_tiles_with_context_match_one_pass_and_tiles_without_it_show_seams(model, image):
    whole = upscale_image(model, image, tile=64, overlap=0).astype(int)
    tiled = upscale_image(model, image, tile=16, overlap=8).astype(int)
    seamed = upscale_image(model, image, tile=16, overlap=0).astype(int)
    assert whole.shape == (3, 160, 192) and whole.std() > 20  # a real spread of values, not all 0
    assert np.abs(tiled - whole).max() <= 1
    assert np.abs(seamed - whole).max() > 50


def test_uint8_and_unit_float_inputs_give_the_same_uint8_output(model, image):
    out = upscale_image(model, image, tile=24, overlap=8)
    assert out.dtype == np.uint8 and out.shape == (3, 160, 192)
    assert np.array_equal(out, upscale_image(model, image / 255.0, tile=24, overlap=8))


def test_half_precision_stays_within_one_grey_level_of_float32(model, image):
    # the workflow's ``half: true`` for CUDA; float16 convolutions also run on the CPU. A copy of the
    # model, since upscaling converts the model it is given to the requested precision.
    in_float32 = upscale_image(model, image, tile=24, overlap=8).astype(int)
    in_float16 = upscale_image(copy.deepcopy(model), image, tile=24, overlap=8, half=True).astype(int)
    assert in_float16.shape == in_float32.shape
    assert np.abs(in_float16 - in_float32).max() <= 1 and (in_float16 != in_float32).any()


def test_geotiff_is_stretched_upscaled_and_georeferenced_at_a_quarter_pixel(model, tmp_path):
    rng = np.random.default_rng(1)
    data = rng.integers(100, 4000, size=(4, 20, 24), dtype=np.uint16)
    data[:, :5, :6] = 0
    transform = from_origin(500000.0, 3400000.0, 4.0, 4.0)
    profile = dict(driver="GTiff", width=24, height=20, crs="EPSG:32650", transform=transform, nodata=0)
    write_raster(tmp_path / "patch.tif", data, profile)

    upscale_geotiff(tmp_path / "patch.tif", tmp_path / "up.tif", model, bands=[1, 2, 3], tile=16, overlap=8)

    with rasterio.open(tmp_path / "patch.tif") as src:
        bounds = src.bounds
    with rasterio.open(tmp_path / "up.tif") as src:
        out = src.read()
        assert (src.count, src.height, src.width, src.dtypes[0]) == (3, 80, 96, "uint8")
        assert src.crs == rasterio.crs.CRS.from_epsg(32650)
        assert src.transform == from_origin(500000.0, 3400000.0, 1.0, 1.0)
        assert src.bounds == bounds
    stacked, valid, _ = read_scene(tmp_path / "patch.tif")
    expected = upscale_image(model, percentile_stretch(stacked[[1, 2, 3]], valid), tile=16, overlap=8)
    assert np.array_equal(out, expected)


@pytest.mark.parametrize(("patch_px", "tiled"), [(20, False), (64, True)])
def test_an_upscaled_patch_as_large_as_a_tile_is_written_in_tiles(patch_px, tiled):
    profile = upscaled_profile({"width": patch_px, "height": patch_px, "transform": from_origin(0, 64, 1, 1)}, 4)
    layout = {key: profile[key] for key in ("tiled", "blockxsize", "blockysize") if key in profile}
    assert layout == ({"tiled": True, "blockxsize": 256, "blockysize": 256} if tiled else {"tiled": False})


def test_geotiff_without_the_requested_bands_is_an_input_error(model, tmp_path):
    profile = dict(driver="GTiff", width=8, height=8, crs="EPSG:32650", transform=from_origin(0, 8, 1, 1))
    write_raster(tmp_path / "two.tif", np.ones((2, 8, 8), np.uint8), profile)
    with pytest.raises(InputError, match=r"two\.tif: has 2 band\(s\); cannot take RGB bands \[0, 1, 2\]"):
        upscale_geotiff(tmp_path / "two.tif", tmp_path / "up.tif", model, bands=[0, 1, 2])
    assert not (tmp_path / "up.tif").exists()
