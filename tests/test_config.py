import subprocess

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO, SNAKEMAKE

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def repo_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_repository_config_is_valid():
    validate(repo_config(), SCHEMA)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(device="tpu"), "tpu"),
    (lambda c: c["datasets"]["demo"].pop("sha256"), "sha256"),
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
