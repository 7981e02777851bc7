import tarfile
import time
import zipfile

import numpy as np
import pytest
import rasterio
import yaml

from conftest import GID5_COLOURS, REPO, rewrite, write_gid_like
from rsseg import IGNORE_LABEL
from rsseg.data.datasets import prepare_scene
from rsseg.data.labels import class_indices, decode_labels, label_census, pack_rgb, unpack_rgb
from rsseg.data.sources import place_folder, unpack
from rsseg.errors import InputError

GID = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["datasets"]["gid"]


def test_colour_labels_decode_to_class_order_and_unknown_colours_are_ignored():
    raw = np.array(GID5_COLOURS + [(0, 0, 0), (1, 2, 3)], dtype=np.uint8).T[:, None, :]
    assert decode_labels(raw, GID["labels"])[0].tolist() == [0, 1, 2, 3, 4, IGNORE_LABEL, IGNORE_LABEL]


def test_a_packed_colour_is_one_number_and_unpacks_to_its_rgb():
    rgb = np.array([[255, 0, 7], [0, 255, 8], [0, 0, 9]], dtype=np.uint8)  # three colours, one per column
    packed = pack_rgb(rgb)
    assert packed.tolist() == [0xFF0000, 0x00FF00, 0x070809] and pack_rgb([7, 8, 9]) == packed[2]
    assert [unpack_rgb(colour) for colour in packed] == [(255, 0, 0), (0, 255, 0), (7, 8, 9)]


def test_index_labels_decode_by_value():
    encoding = {"type": "index", "classes": [{"name": "a", "value": 7}, {"name": "b", "value": 2}]}
    raw = np.array([[[2, 7, 0, -99999]]])
    assert decode_labels(raw, encoding)[0].tolist() == [1, 0, IGNORE_LABEL, IGNORE_LABEL]


def test_colour_labels_need_three_bands():
    with pytest.raises(InputError, match=r"lab\.tif: has 1 band\(s\), a colour-coded label needs 3"):
        decode_labels(np.zeros((1, 2, 2)), GID["labels"], "lab.tif")


def test_farmland_classes_are_looked_up_by_name():
    assert class_indices(GID["labels"], GID["farmland"]) == [1]
    with pytest.raises(ValueError, match="unknown class name"):
        class_indices(GID["labels"], ["vineyard"])


def test_prepare_scene_keeps_grid_and_marks_nodata(tmp_path):
    image, classes = write_gid_like(tmp_path, "s", height=40, width=48)
    out_image, out_label = tmp_path / "out" / "image.tif", tmp_path / "out" / "label.tif"
    summary = prepare_scene(tmp_path / "image_NirRGB" / "s.tif", tmp_path / "label_5classes" / "s_label.tif",
                            image_out=out_image, label_out=out_label, dataset=GID)
    with rasterio.open(out_image) as img, rasterio.open(out_label) as lab:
        assert img.count == 4 and img.shape == (40, 48) and lab.shape == (40, 48)
        assert img.crs == lab.crs == "EPSG:32650" and img.transform.a == 4.0 and img.nodata == 0
        assert img.descriptions == ("nir", "red", "green", "blue")  # the dataset's band_names, for a GIS
        labels = lab.read(1)
        assert lab.dtypes[0] == "uint8"
    assert (labels[:5, :6] == IGNORE_LABEL).all()
    np.testing.assert_array_equal(labels[5:, 6:], classes[5:, 6:])
    assert summary["valid_fraction"] == pytest.approx(1 - 30 / (40 * 48))


def test_prepare_scene_rejects_too_few_bands(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    with pytest.raises(InputError, match=r"s\.tif: has 4 band\(s\), the config selects band 5"):
        prepare_scene(tmp_path / "image_NirRGB" / "s.tif", tmp_path / "label_5classes" / "s_label.tif",
                      image_out=tmp_path / "i.tif", label_out=tmp_path / "l.tif",
                      dataset={**GID, "bands": [1, 5]})
    assert not (tmp_path / "i.tif").exists()


def test_prepare_scene_rejects_labels_of_another_size(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    write_gid_like(tmp_path / "other", "s", height=16, width=20)
    with pytest.raises(InputError, match=r"s_label\.tif: is 16x20 px, expected 16x16 px like s\.tif"):
        prepare_scene(tmp_path / "image_NirRGB" / "s.tif", tmp_path / "other" / "label_5classes" / "s_label.tif",
                      image_out=tmp_path / "i.tif",
                      label_out=tmp_path / "l.tif", dataset=GID)
    assert not (tmp_path / "i.tif").exists() and not (tmp_path / "l.tif").exists()


def test_prepare_scene_rejects_a_corrupt_raster(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00 definitely not a tiff")
    with pytest.raises(InputError, match=r"corrupt\.tif: is not a readable raster"):
        prepare_scene(corrupt, tmp_path / "label_5classes" / "s_label.tif", image_out=tmp_path / "i.tif",
                      label_out=tmp_path / "l.tif", dataset=GID)


def test_unpack_tar_and_damaged_archive(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("hello")
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as tf:
        tf.add(tmp_path / "src", arcname="src")
    unpack([tmp_path / "x.tar.gz"], tmp_path / "out")
    assert (tmp_path / "out" / "src" / "a.txt").read_text() == "hello"
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputError, match=r"bad\.zip: is a damaged archive"):
        unpack([tmp_path / "bad.zip"], tmp_path / "out2")
    assert not (tmp_path / "out2").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_folder_is_placed_by_links_and_the_archives_in_it_unpacked(tmp_path):
    (tmp_path / "gid" / "image_NirRGB").mkdir(parents=True)
    (tmp_path / "gid" / "top").mkdir()
    (tmp_path / "gid" / "top" / "a.tif").write_text("unpacked by hand")
    with zipfile.ZipFile(tmp_path / "gid" / "delivered.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo("top/a.tif", date_time=(2016, 5, 1, 12, 0, 0)), "from the zip")
        zf.writestr(zipfile.ZipInfo("gt/a.tif", date_time=(2016, 5, 1, 12, 0, 0)), "label")
    place_folder(tmp_path / "gid", tmp_path / "placed")
    placed = tmp_path / "placed"
    assert (placed / "image_NirRGB").is_symlink() and (placed / "top").is_symlink()
    assert (placed / "top" / "a.tif").read_text() == "unpacked by hand"  # the folder's own copy wins
    assert (placed / "gt" / "a.tif").read_text() == "label" and not (placed / "delivered.zip").exists()
    # the member's time, not the unpacking's: placing the folder again must not make its scenes look new
    assert time.localtime((placed / "gt" / "a.tif").stat().st_mtime)[:3] == (2016, 5, 1)
    with pytest.raises(InputError, match="is not a folder"):
        place_folder(tmp_path / "absent", tmp_path / "placed2")


def hostile_zip(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fine.txt", "x")
        zf.writestr("../escaped.txt", "x")


def hostile_tar(path):
    with tarfile.open(path, "w") as tf:
        link = tarfile.TarInfo("innocent")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)


@pytest.mark.parametrize("name, write, member", [("evil.zip", hostile_zip, "../escaped.txt"),
                                                 ("evil.tar", hostile_tar, "innocent")])
def test_archive_members_that_would_land_outside_are_refused_as_unsafe_paths(tmp_path, name, write, member):
    write(tmp_path / name)
    with pytest.raises(InputError, match=rf"{name}: holds an unsafe path, '{member}', that would be written outside "
                                         r"the folder it is unpacked into; refused"):
        unpack([tmp_path / name], tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "escaped.txt").exists()


def test_colour_threshold_removes_compression_noise_before_matching():
    raw = np.array([(250, 3, 1), (128, 255, 127), (120, 120, 120)], dtype=np.uint8).T[:, None, :]
    encoding = {**GID["labels"], "colour_threshold": 128}
    assert decode_labels(raw, encoding)[0].tolist() == [0, 3, IGNORE_LABEL]  # red, yellow, black (unlabelled)
    assert decode_labels(raw, GID["labels"])[0].tolist() == [IGNORE_LABEL] * 3


def prepare(tmp_path, **kwargs):
    return prepare_scene(tmp_path / "image_NirRGB" / "s.tif", tmp_path / "label_5classes" / "s_label.tif",
                         image_out=tmp_path / "i.tif", label_out=tmp_path / "l.tif", dataset=GID, **kwargs)


def test_labels_on_another_grid_are_rejected_naming_both_files(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    label = tmp_path / "label_5classes" / "s_label.tif"
    rewrite(label, lambda data, profile: (data, {**profile, "crs": "EPSG:32651"}))
    with pytest.raises(InputError, match=rf"^{label}: is on another grid than {tmp_path / 'image_NirRGB' / 's.tif'}: "
                                         r"CRS EPSG:32651 .* against EPSG:32650"):
        prepare(tmp_path)
    shifted = rasterio.transform.from_origin(500004.0, 3400000.0, 4.0, 4.0)
    rewrite(label, lambda data, profile: (data, {**profile, "crs": "EPSG:32650", "transform": shifted}))
    with pytest.raises(InputError, match="is on another grid than"):
        prepare(tmp_path)
    assert not (tmp_path / "i.tif").exists() and not (tmp_path / "l.tif").exists()


def test_labels_without_georeferencing_of_the_image_size_are_taken_as_on_its_grid(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    label = tmp_path / "label_5classes" / "s_label.tif"
    rewrite(label, lambda data, profile: (data, {k: v for k, v in profile.items() if k not in ("crs", "transform")}))
    assert prepare(tmp_path)["scored_pixels"] == 16 * 16 - 2 * 2


def test_a_scene_without_valid_pixels_stops_naming_the_image(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    rewrite(tmp_path / "image_NirRGB" / "s.tif", lambda data, profile: (np.zeros_like(data), profile))
    with pytest.raises(InputError, match=r"s\.tif: has no valid pixel: every pixel is no data .*set "
                                         r"skip_unscored_scenes: true"):
        prepare(tmp_path)
    assert not (tmp_path / "i.tif").exists()


def test_labels_of_no_configured_class_stop_naming_the_labels_and_what_they_hold(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    rewrite(tmp_path / "label_5classes" / "s_label.tif",
            lambda data, profile: (np.full_like(data, 7), profile))
    with pytest.raises(InputError, match=r"s_label\.tif: has no pixel of the configured classes \['built-up', .*"
                                         r"where the image is valid; it holds \(7, 7, 7\): 252 px; fix"):
        prepare(tmp_path)


def test_valid_pixels_of_no_class_are_logged_once_with_their_values_and_pixel_counts(tmp_path, caplog):
    write_gid_like(tmp_path, "s", height=16, width=16)

    def stray_colours(data, profile):
        data[:, 4:6, 8:11] = 7  # 6 px of (7, 7, 7)
        data[:, 9, 9] = (1, 2, 3)
        data[:, 0, 0] = 9  # under the image's no-data corner: no data, not an undeclared label
        return data, profile

    rewrite(tmp_path / "label_5classes" / "s_label.tif", stray_colours)
    with caplog.at_level("INFO"):
        summary = prepare(tmp_path)
    assert summary["scored_pixels"] == 16 * 16 - 2 * 2 - 7
    lines = [record.getMessage() for record in caplog.records if "no configured class" in record.getMessage()]
    assert lines == [f"{tmp_path / 'label_5classes' / 's_label.tif'}: 7 of 252 valid pixels hold no configured class "
                     "and are not scored: (7, 7, 7): 6 px, (1, 2, 3): 1 px"]


def test_a_label_census_names_the_most_frequent_values_first():
    assert label_census(np.array([0, 0, 7, 7, 7, 3]), {"type": "index"}, limit=2) == "7: 3 px, 0: 2 px and 1 more"
    assert label_census(pack_rgb(np.array([[1], [2], [3]])), {"type": "colour"}) == "(1, 2, 3): 1 px"


def test_skip_unscored_writes_the_scene_with_no_scored_pixel(tmp_path, caplog):
    write_gid_like(tmp_path, "s", height=16, width=16)
    rewrite(tmp_path / "label_5classes" / "s_label.tif", lambda data, profile: (np.zeros_like(data), profile))
    summary = prepare(tmp_path, skip_unscored=True)
    assert summary["scored_pixels"] == 0 and (tmp_path / "l.tif").exists()
    assert "left out of the score tables" in caplog.text


def test_nan_and_infinite_pixels_are_no_data_in_every_band_and_counted(tmp_path, caplog):
    write_gid_like(tmp_path, "s", height=16, width=16)
    image = tmp_path / "image_NirRGB" / "s.tif"

    def to_float_with_nan(data, profile):
        data = data.astype(np.float32)
        data[1, 8:12, 8:12] = np.nan  # one band is enough to make a pixel unusable
        data[:, 0, 15] = np.inf
        return data, {**profile, "dtype": "float32", "nodata": np.nan}

    rewrite(image, to_float_with_nan)
    with caplog.at_level("INFO"):
        summary = prepare(tmp_path)
    with rasterio.open(tmp_path / "i.tif") as prepared, rasterio.open(tmp_path / "l.tif") as labels:
        bands, label = prepared.read(), labels.read(1)
        assert prepared.nodata == 0  # the configured value: NaN cannot mark no data, nothing equals it
    assert np.isfinite(bands).all()
    assert (bands[:, 8:12, 8:12] == 0).all() and (bands[:, 0, 15] == 0).all()
    assert (label[8:12, 8:12] == IGNORE_LABEL).all() and label[0, 15] == IGNORE_LABEL
    assert summary["nonfinite_pixels"] == 17
    assert summary["scored_pixels"] == 16 * 16 - 2 * 2 - 17
    assert "(17 NaN or infinite pixels)" in caplog.text


def test_prepared_labels_carry_the_datasets_colours(tmp_path):
    write_gid_like(tmp_path, "s", height=16, width=16)
    prepare(tmp_path)
    with rasterio.open(tmp_path / "l.tif") as labels:
        assert [labels.colormap(1)[i][:3] for i in range(5)] == GID5_COLOURS
