"""When a placed dataset is redone: its local folder changed at the top level, or its download failed."""

import os

from rsseg.data.sources import place_unavailable
from rsseg.placement import folder_state, unavailable_reason


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


def test_a_failed_download_is_placed_as_its_reason(tmp_path):
    assert unavailable_reason(tmp_path / "absent") is None
    place_unavailable(tmp_path / "offline", "gid-15.zip: missing and cannot download it")
    assert unavailable_reason(tmp_path / "offline") == "gid-15.zip: missing and cannot download it"
