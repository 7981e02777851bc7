import shutil
import subprocess

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO, SNAKEMAKE, TEST_DIR
from rsseg.config import config_problems, sensitivity_points

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def repo_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_repository_config_is_valid():
    validate(repo_config(), SCHEMA)


def setting_paths(config, prefix=()):
    """Every key path of a config, datasets and resources aside (their entries are the user's choice)."""
    paths = set()
    for key, value in config.items():
        if prefix == () and key in ("datasets", "resources"):
            continue
        paths.add((*prefix, key))
        if isinstance(value, dict):
            paths |= setting_paths(value, (*prefix, key))
    return paths


def test_test_config_is_valid_and_has_every_setting_of_the_repository_config():
    test_config = yaml.safe_load((TEST_DIR / "config" / "config.yaml").read_text())
    validate(test_config, SCHEMA)
    assert setting_paths(test_config) == setting_paths(repo_config())


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(device="tpu"), "tpu"),
    (lambda c: c["datasets"]["demo"].pop("checksum"), "checksum"),
    (lambda c: c["datasets"]["demo"].update(checksum="sha1:" + "0" * 40), "sha1"),
    (lambda c: c["datasets"].update(study=c["datasets"]["demo"]), "study"),
    (lambda c: c["superpixel_fcn"].update(epochs=0), "epochs"),
])
def test_invalid_config_is_rejected(change, message):
    config = repo_config()
    change(config)
    with pytest.raises(Exception, match=message):
        validate(config, SCHEMA)


def test_lint_is_clean():
    done = subprocess.run([*SNAKEMAKE, "--lint", "--snakefile", str(REPO / "Snakefile"), "--directory", str(REPO)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Lints for" not in done.stdout + done.stderr


def problems_after(change):
    config = repo_config()
    change(config)
    validate(config, SCHEMA)
    return config_problems(config)


def test_the_repository_config_has_no_problem():
    assert config_problems(repo_config()) == []


@pytest.mark.parametrize("change, problem", [
    (lambda c: c["superpixel_fcn"].update(stride=600),
     "superpixel_fcn.stride 600 is larger than superpixel_fcn.window 512: the windows would leave pixels out"),
    (lambda c: c["datasets"]["demo"].update(band_names=["nir", "red", "green"]),
     "datasets.demo: bands has 4 entries but band_names 3; give one name per selected band"),
    (lambda c: c["datasets"]["demo"].update(farmland=["vineyard"]),
     "datasets.demo.farmland names ['vineyard'], which are not classes of dataset demo"),
    (lambda c: c["datasets"]["loveda"].pop("composite_bands"),
     "report.composite names ['nir'], which are not bands of dataset loveda (['red', 'green', 'blue']); "
     "set datasets.loveda.composite_bands"),
    (lambda c: c["study"].update(datasets=["demo", "evlab"]),
     "study.datasets lists dataset 'evlab', which is not in datasets"),
])
def test_values_that_contradict_each_other_are_problems(change, problem):
    problems = problems_after(change)
    assert any(p.startswith(problem) for p in problems), problems


def test_published_setting_comes_first_in_the_parameter_study():
    points = sensitivity_points(repo_config())
    assert points[0] == {"scale": 32, "epochs": 10, "n_classes": 32}
    assert len(points) == 1 + 4 + 4 + 3  # each list less the published value
    assert {"scale": 8, "epochs": 10, "n_classes": 32} in points
    assert {"scale": 32, "epochs": 20, "n_classes": 32} in points


def test_the_test_folder_runs_by_hand(tmp_path):
    """``snakemake --directory .test`` as config/README.md says, dry, on a copy so the checkout stays clean."""
    work = tmp_path / ".test"
    shutil.copytree(TEST_DIR, work, ignore=shutil.ignore_patterns("results", "resources", "logs", "benchmarks",
                                                                  ".snakemake"))
    done = subprocess.run([*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
                           "--cores", "1", "--dry-run"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "download_dataset" in done.stdout + done.stderr
