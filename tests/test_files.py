"""Outputs appear whole or not at all, and follow the umask."""

import os

import pytest

from rsseg.errors import UnreadableError
from rsseg.files import atomic_directory, atomic_path, read_json, write_json


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_atomic_path_leaves_nothing_when_the_writer_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.tif") as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_output_follows_the_umask(tmp_path, umask_022):
    with atomic_path(tmp_path / "out.txt") as tmp:
        tmp.write_text("done")
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_atomic_directory_appears_whole_or_not_at_all(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_directory(tmp_path / "tiles") as tmp:
        (tmp / "a.tif").write_text("one tile")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "tiles").mkdir()
    (tmp_path / "tiles" / "stale.tif").write_text("from an earlier run")
    with atomic_directory(tmp_path / "tiles") as tmp:
        (tmp / "a.tif").write_text("one tile")
    assert [p.name for p in (tmp_path / "tiles").iterdir()] == ["a.tif"]
    assert [p.name for p in tmp_path.iterdir()] == ["tiles"]


def test_atomic_directory_follows_the_umask_unlike_mkdtemp(tmp_path, umask_022):
    with atomic_directory(tmp_path / "dataset") as tmp:
        (tmp / "x").write_text("x")
    assert (tmp_path / "dataset").stat().st_mode & 0o777 == 0o755


def test_json_round_trip(tmp_path):
    write_json(tmp_path / "run" / "info.json", {"seconds": 1.5, "losses": [2.0, 1.0]})
    assert read_json(tmp_path / "run" / "info.json") == {"seconds": 1.5, "losses": [2.0, 1.0]}


def test_a_damaged_json_file_is_unreadable_naming_it(tmp_path):
    (tmp_path / "scores.json").write_text('{"ami": 0.3')
    with pytest.raises(UnreadableError, match=r"scores\.json: is not valid JSON \(Expecting"):
        read_json(tmp_path / "scores.json")
