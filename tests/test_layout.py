"""The package layout: the root modules, which Snakemake's own process imports, use the standard library only.

``snakemake --sw-deployment-method conda`` runs the workflow from an environment that may hold nothing but
Snakemake; so the root of ``rsseg`` and the subpackages' ``__init__`` files must import with every
third-party package refused, and the rule files may import only root modules.
"""

import re
import subprocess
import sys

import pytest

from conftest import REPO
from test_envs import GUARDED_IMPORT

PACKAGE = REPO / "src" / "rsseg"
ROOT_MODULES = sorted(f"rsseg.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__")
SUBPACKAGES = sorted(f"rsseg.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py"))
WORKFLOW_FILES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


def import_without_third_party_packages(module):
    code = GUARDED_IMPORT.format(allowed=[], src=str(REPO / "src"), imports=f"import {module}")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module", ["rsseg", *ROOT_MODULES, *SUBPACKAGES])
def test_module_imports_with_every_third_party_package_refused(module):
    done = import_without_third_party_packages(module)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]


def test_a_module_importing_a_third_party_package_is_refused():
    done = import_without_third_party_packages("rsseg.data.raster")
    assert done.returncode != 0 and "is not in the rule's env" in done.stderr


def test_the_workflow_imports_only_root_modules():
    imported = {match for path in WORKFLOW_FILES
                for match in re.findall(r"^\s*(?:from|import) (rsseg[\w.]*)", path.read_text(), re.M)}
    assert imported and imported <= set(ROOT_MODULES)
