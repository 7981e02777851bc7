"""Outputs appear whole or not at all, and follow the umask."""

import os
import signal
import subprocess
import sys

import pytest

from rsseg.errors import UnreadableError
from rsseg.files import atomic_directory, atomic_path, read_json, remove_stale_temporaries, write_json


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


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from rsseg.files import atomic_directory, atomic_path
path = Path(sys.argv[1])
with atomic_path(path) if path.suffix else atomic_directory(path) as tmp:
    (tmp / "tile.tif").write_text("a tile") if tmp.is_dir() else tmp.write_text("half a map")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_what_a_killed_writer_left_beside_an_output_is_removed_and_nothing_else(tmp_path):
    for name in ("map.tif", "tiles"):
        done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path / name)], timeout=60)
        assert done.returncode == -signal.SIGKILL
    left = sorted(tmp_path.iterdir())
    assert [path.name.startswith((".map.tif.", ".tiles.")) for path in left] == [True, True]  # no finally ran
    (tmp_path / "map.tif").write_text("the rerun's map")
    others = [".map.tif.json.x1y2z3.part", ".maps.tif.x1y2z3.part"]  # temporaries of other outputs
    for name in others:
        (tmp_path / name).write_text("another output, being written")
    assert remove_stale_temporaries(tmp_path / "map.tif") + remove_stale_temporaries(tmp_path / "tiles") == left
    assert sorted(path.name for path in tmp_path.iterdir()) == [*others, "map.tif"]


def test_json_round_trip(tmp_path):
    write_json(tmp_path / "run" / "info.json", {"seconds": 1.5, "losses": [2.0, 1.0]})
    assert read_json(tmp_path / "run" / "info.json") == {"seconds": 1.5, "losses": [2.0, 1.0]}


def test_a_damaged_json_file_is_unreadable_naming_it(tmp_path):
    (tmp_path / "scores.json").write_text('{"ami": 0.3')
    with pytest.raises(UnreadableError, match=r"scores\.json: is not valid JSON \(Expecting"):
        read_json(tmp_path / "scores.json")
