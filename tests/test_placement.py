"""When a placed dataset is redone: its local folder changed at the top level, or its download failed."""

import os

from rsseg.data.sources import place_unavailable
from rsseg.placement import files_state, folder_state, unavailable_reason


def test_the_folder_state_follows_the_top_level_only(tmp_path):
    states = [folder_state(str(tmp_path))]
    (tmp_path / "top").mkdir()
    states.append(folder_state(str(tmp_path)))
    (tmp_path / "top" / "a.tif").write_text("seen through the link to top/ already")
    assert folder_state(str(tmp_path)) == states[-1]
    (tmp_path / "gt.zip").write_text("a first zip")
    states.append(folder_state(str(tmp_path)))
    (tmp_path / "gt.zip").write_text("a zip replaced")
    os.utime(tmp_path / "gt.zip", ns=(1, 1))
    states.append(folder_state(str(tmp_path)))
    (tmp_path / "top").rename(tmp_path / "ground_truth")
    states.append(folder_state(str(tmp_path)))
    assert len(set(states)) == len(states)
    assert folder_state("https://example.org/a.zip") == folder_state([{"url": "pip:x==1"}]) == "remote"


def test_the_files_state_follows_a_file_replaced_by_an_older_one_of_the_same_size(tmp_path):
    image, label = tmp_path / "top" / "a.tif", tmp_path / "a_label.tif"
    image.parent.mkdir()
    image.write_text("first")
    label.write_text("label")
    (tmp_path / "link").symlink_to(tmp_path / "top")
    linked = tmp_path / "link" / "a.tif"  # as a job reads it, through the placed dataset's link
    state = files_state([linked, label])
    assert files_state([label, linked]) == state  # in any order
    assert label.read_text() == "label" and files_state([linked, label]) == state  # reading changes nothing
    image.write_text("other")  # as cp -p, rsync -a, unzip -o or tar x leave it: same size, an older time
    os.utime(image, ns=(1, 1))
    assert files_state([linked, label]) != state
    assert files_state([tmp_path / "absent.tif"]) != files_state([tmp_path / "other.tif"])


def test_a_failed_download_is_placed_as_its_reason(tmp_path):
    assert unavailable_reason(tmp_path / "absent") is None
    place_unavailable(tmp_path / "offline", "gid-15.zip: missing and cannot download it")
    assert unavailable_reason(tmp_path / "offline") == "gid-15.zip: missing and cannot download it"
