"""The lock and the per-rule conda environments: requirements.txt pins what pyproject.toml declares, the envs are
pinned like it and hold what each rule imports.

Conda channels are not reachable here, so the envs are never built in the tests; instead each rule
script's imports are run in a fresh interpreter of the test environment that refuses every
third-party module not provided by the rule's env (its packages and their dependencies).
"""

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO

RULES_DIR = REPO / "workflow" / "rules"
NOT_PINNED_IN_REQUIREMENTS = {"python", "pip"}  # the interpreter and the installer of the pip section


def requirement_pins():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def env_packages(path):
    """``{name: version}`` of an env file, its conda and pip sections alike."""
    packages = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        specs = entry["pip"] if isinstance(entry, dict) else [entry]
        for spec in specs:
            name, version = re.split(r"==|=", spec, maxsplit=1)
            packages[canonicalize_name(name)] = version
    return packages


def rule_scripts_and_envs():
    """``(rule, script path, env path)`` of every rule with a script, read from the rule files."""
    found = []
    for rules in sorted(RULES_DIR.glob("*.smk")):
        text = rules.read_text()
        for match in re.finditer(r"^(?:rule|checkpoint) (\w+):(.*?)(?=^(?:rule|checkpoint) |\Z)", text, re.S | re.M):
            body = match.group(2)
            script = re.search(r'script:\s*"([^"]+)"', body)
            env = re.search(r'conda:\s*"([^"]+)"', body)
            if script:
                found.append((match.group(1), (RULES_DIR / script.group(1)).resolve(),
                              (RULES_DIR / env.group(1)).resolve() if env else None))
    return found


def with_dependencies(names):
    """Distribution names reachable from ``names`` through their installed metadata (no extras)."""
    todo, seen = list(names), set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for spec in requires:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def module_level_imports(script):
    """The script's own import statements, as source (the rest of it needs a Snakemake job)."""
    tree = ast.parse(script.read_text())
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


GUARDED_IMPORT = """
import importlib.abc, importlib.metadata, sys
ALLOWED = set({allowed!r})
PROVIDERS = importlib.metadata.packages_distributions()

class OutsideTheEnv(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if path is None and top in PROVIDERS and top != "rsseg":
            providers = {{p.lower().replace("_", "-") for p in PROVIDERS[top]}}
            if not providers & ALLOWED:
                raise ImportError(f"{{top}} (from {{sorted(providers)}}) is not in the rule's env")
        return None

sys.meta_path.insert(0, OutsideTheEnv())
sys.path.insert(0, {src!r})
{imports}
"""


RULES = rule_scripts_and_envs()


def test_every_rule_script_has_a_conda_env():
    assert len(RULES) >= 15
    assert [rule for rule, _, env in RULES if env is None or not env.exists()] == []


@pytest.mark.parametrize("env", sorted({env for _, _, env in RULES}), ids=lambda p: p.name)
def test_env_pins_are_those_of_requirements(env):
    pins, packages = requirement_pins(), env_packages(env)
    assert {name: packages[name] for name in packages if name not in NOT_PINNED_IN_REQUIREMENTS} == \
        {name: pins.get(name) for name in packages if name not in NOT_PINNED_IN_REQUIREMENTS}


def test_the_lock_pins_what_pyproject_declares_at_versions_it_allows_and_nothing_else():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [Requirement(spec) for spec in (*project["dependencies"], *project["optional-dependencies"]["dev"])]
    pins = requirement_pins()
    locked = {r.name: pins.get(canonicalize_name(r.name)) for r in declared}
    assert [f"{r} (locked: {locked[r.name]})" for r in declared
            if locked[r.name] is None or locked[r.name] not in r.specifier] == []
    # a pin beyond the declared packages holds one that comes in with them (jsonschema, timm, black)
    assert set(pins) - with_dependencies(r.name for r in declared) == set()


@pytest.mark.parametrize("rule, script, env", RULES, ids=[rule for rule, _, _ in RULES])
def test_rule_script_imports_only_what_its_env_provides(rule, script, env):
    allowed = sorted(with_dependencies(env_packages(env)))
    code = GUARDED_IMPORT.format(allowed=allowed, src=str(REPO / "src"), imports=module_level_imports(script))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{rule} in {env.name}: {done.stderr.strip().splitlines()[-1]}"


def test_the_guard_refuses_a_package_outside_the_env():
    code = GUARDED_IMPORT.format(allowed=["numpy"], src=str(REPO / "src"), imports="import pandas")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "pandas (from ['pandas']) is not in the rule's env" in done.stderr
