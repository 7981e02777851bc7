"""A rule script ends in one line on stderr whatever went wrong; unforeseen failures keep their traceback in the log."""

import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rsseg.errors import ConfigError, InputError, UnreadableError
from rsseg.files import REMAKE_LOG, remake_counts
from rsseg.methods.baselines import kmeans_segment
from rsseg.scripting import run_rule


@pytest.fixture
def job(tmp_path):
    yield SimpleNamespace(log=[str(tmp_path / "rule.log")], rule="some_rule")
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)  # let go of the rule's log file
    logging.captureWarnings(False)


def fail_with(error):
    def main(snakemake):
        raise error
    return main


@pytest.mark.parametrize("error, line", [
    (InputError("scene.tif", "has 2 band(s), expected 4"), "error: scene.tif: has 2 band(s), expected 4"),
    (ConfigError("device: cuda, but torch sees no CUDA GPU"), "error: device: cuda, but torch sees no CUDA GPU"),
])
def test_bad_input_and_settings_end_in_their_message(job, capsys, error, line):
    with pytest.raises(SystemExit) as exit_:
        run_rule(fail_with(error), job)
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == line


def test_an_unforeseen_failure_is_one_line_with_its_traceback_in_the_log(job, capsys):
    with pytest.raises(SystemExit):
        run_rule(fail_with(IndexError("list index out of range\nsecond line")), job)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (f"error: IndexError: list index out of range second line (traceback in "
                                    f"{job.log[0]})")
    log = Path(job.log[0]).read_text()
    assert "Traceback (most recent call last)" in log and "raise error" in log


def test_success_is_silent(job, capsys):
    run_rule(lambda snakemake: None, job)
    assert capsys.readouterr().err == ""


def test_a_job_starts_by_removing_what_a_killed_run_of_it_left_beside_its_outputs(job, tmp_path):
    leftover = tmp_path / ".scene.tif.k1ll3d.part"
    leftover.write_text("half a map")
    job.output = [str(tmp_path / "scene.tif")]
    run_rule(lambda snakemake: Path(snakemake.output[0]).write_text("the map"), job)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rule.log", "scene.tif"]
    assert f"removed {leftover}, left by an interrupted run of this job" in Path(job.log[0]).read_text()


def test_a_librarys_warnings_go_to_the_jobs_log_too(job, capsys):
    def main(snakemake):  # two distinct spectra for three clusters: scikit-learn warns
        image = np.zeros((2, 10, 10), np.float32)
        image[:, :, 5:] = 1
        kmeans_segment(image, np.ones((10, 10), bool), n_clusters=3, sample_size=100, n_init=1)

    run_rule(main, job)
    warning = "ConvergenceWarning: Number of distinct clusters (2) found smaller than n_clusters (3)"
    assert warning in Path(job.log[0]).read_text() and warning in capsys.readouterr().err


def test_ctrl_c_is_one_line_saying_to_rerun(job, capsys):
    with pytest.raises(SystemExit):
        run_rule(fail_with(KeyboardInterrupt()), job)
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1] == "error: interrupted; rerun to resume"


def test_gdal_info_lines_stay_in_the_log_not_on_the_console(job, capsys):
    def main(snakemake):
        logging.getLogger("rasterio._err").info("GDAL signalled an error: err_no=1, msg='TIFFFillStrip'")
        raise InputError("scene.tif", "cannot be decoded")
    with pytest.raises(SystemExit):
        run_rule(main, job)
    assert capsys.readouterr().err.splitlines() == ["error: scene.tif: cannot be decoded"]
    assert "TIFFFillStrip" in Path(job.log[0]).read_text()


def test_an_unreadable_output_of_an_earlier_job_is_removed_and_logged_for_the_next_run(job, capsys, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)  # a job's working directory is the workflow's
    cached, source = Path("results/d/scenes/s/superpixels.tif"), Path("resources/datasets/d/s.tif")
    for path in (cached, source):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"II*\x00 truncated")
    job.input = [str(cached), str(source)]
    for path in (cached, source):
        with pytest.raises(SystemExit):
            run_rule(fail_with(UnreadableError(path, "cannot be decoded")), job)
    first, second = capsys.readouterr().err.splitlines()[-2:]
    assert first == f"error: {cached}: cannot be decoded; removed it: the next run makes it again"
    assert second == f"error: {source}: cannot be decoded"  # a source is the user's, never removed
    assert not cached.exists() and source.exists()
    assert REMAKE_LOG.read_text() == f"{cached}\n" and remake_counts() == {str(cached): 1}
