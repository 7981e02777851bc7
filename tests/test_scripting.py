"""A rule script ends in one line on stderr whatever went wrong; unforeseen failures keep their traceback in the log."""

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from rsseg.errors import ConfigError, InputError
from rsseg.scripting import run_rule


@pytest.fixture
def job(tmp_path):
    yield SimpleNamespace(log=[str(tmp_path / "rule.log")], rule="some_rule")
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)  # let go of the rule's log file


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
