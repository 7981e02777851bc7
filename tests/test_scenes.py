"""Finding a dataset's scenes in its source and choosing a seeded subset."""

from pathlib import Path

import pytest

from rsseg.scenes import expects_georeferencing, find_scenes, select_scenes, why_no_scenes

LAYOUT = {"image": "{split}/img/{scene}.png", "label": "{split}/ann/{scene}_label.png"}


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_scenes_are_images_with_a_label_named_by_every_wildcard(tmp_path):
    for split, scene, labelled in [("train", "a", True), ("val", "b", True), ("test", "c", False),
                                   ("train", "nested/d", True)]:
        touch(tmp_path / split / "img" / f"{scene}.png")
        if labelled:
            touch(tmp_path / split / "ann" / f"{scene}_label.png")
    found = find_scenes(tmp_path, LAYOUT)
    assert list(found) == ["train_a", "val_b"]  # no label: no scene; wildcards never span folders
    assert found["val_b"] == {"image": str(tmp_path / "val/img/b.png"), "label": str(tmp_path / "val/ann/b_label.png")}


def test_one_label_file_may_cover_every_scene(tmp_path):
    touch(tmp_path / "s1_multiband.tif")
    touch(tmp_path / "strata.tif")
    found = find_scenes(tmp_path, {"image": "{scene}_multiband.tif", "label": "strata.tif"})
    assert found == {"s1": {"image": str(tmp_path / "s1_multiband.tif"), "label": str(tmp_path / "strata.tif")}}


def test_a_seeded_subset_is_the_same_in_every_run_and_in_name_order():
    names = [f"tile{i:03d}" for i in range(100)]
    chosen = select_scenes(names, max_scenes=5, seed=0, dataset="loveda")
    assert chosen == sorted(chosen) and len(set(chosen)) == 5
    assert chosen == select_scenes(names, max_scenes=5, seed=0, dataset="loveda")
    assert chosen != select_scenes(names, max_scenes=5, seed=1, dataset="loveda")
    assert select_scenes(names, wanted=["tile007", "tile003"]) == ["tile003", "tile007"]
    assert select_scenes(names[:3], max_scenes=5) == names[:3]


def test_a_listed_scene_that_is_not_there_is_an_error():
    with pytest.raises(ValueError, match=r"dataset gid: scenes \['GF2_x'\] are not in its source \(found 2\)"):
        select_scenes(["a", "b"], wanted=["a", "GF2_x"], dataset="gid")


def test_png_and_jpeg_layouts_carry_no_georeferencing():
    assert not expects_georeferencing({"image": "train/{scene}_sat.jpg"})
    assert expects_georeferencing({"image": "top/{scene}.tif"})


def test_layout_alternatives_find_the_archives_as_unpacked_either_way(tmp_path):
    layout = {"image": ["top/t_{scene}.tif", "Wrapped/top/t_{scene}.tif"],
              "label": ["ground_truth/t_{scene}.tif", "t_{scene}.tif"]}
    touch(tmp_path / "top" / "t_area1.tif")
    touch(tmp_path / "t_area1.tif")  # the ground truth zip unpacked flat
    touch(tmp_path / "top" / "t_area2.tif")
    touch(tmp_path / "ground_truth" / "t_area2.tif")
    touch(tmp_path / "ground_truth" / "t_area1.tif")  # preferred over the flat copy
    touch(tmp_path / "Wrapped" / "top" / "t_area3.tif")
    touch(tmp_path / "t_area3.tif")
    found = find_scenes(tmp_path, layout)
    assert {scene: Path(files["label"]).relative_to(tmp_path).as_posix() for scene, files in found.items()} == {
        "area1": "ground_truth/t_area1.tif", "area2": "ground_truth/t_area2.tif", "area3": "t_area3.tif"}


def test_a_source_without_scenes_says_what_it_lacks(tmp_path):
    layout = {"image": "top/t_{scene}.tif", "label": ["ground_truth/t_{scene}.tif", "t_{scene}.tif"]}
    assert why_no_scenes(tmp_path, layout) == "no file matches layout.image top/t_{scene}.tif"
    touch(tmp_path / "top" / "t_area1.tif")
    touch(tmp_path / "gts" / "t_area1.tif")  # where the layout does not look
    assert why_no_scenes(tmp_path, layout) == (
        "1 image(s) match layout.image, but none has its label at layout.label ground_truth/t_{scene}.tif or "
        "t_{scene}.tif (for top/t_area1.tif: ground_truth/t_area1.tif)")
