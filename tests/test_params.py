"""One source of truth for every default: each section of method settings in config/config.yaml holds
exactly the fields of its ``*Params`` dataclass, at the dataclass's defaults, and a library function that
takes one of these settings on its own defaults to the same value."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest
import yaml

import rsseg
from conftest import REPO
from rsseg.config import method_settings
from rsseg.params import FromConfig

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
NOT_METHOD_SETTINGS = {"run", "methods", "matched_clusters", "farmland_iou", "skip_unscored_scenes", "device", "seeds",
                       "datasets", "study", "sensitivity", "resources", "weights"}
"""Sections that say what runs, on what and where (datasets, the study's, resources, checkpoints): no method's
parameters."""

MODULES = [importlib.import_module(info.name)
           for info in pkgutil.walk_packages(rsseg.__path__, prefix="rsseg.")]
PARAMS = {cls.section: cls for cls in FromConfig.__subclasses__()}


def test_every_section_of_method_settings_has_one_params_class_named_after_it():
    assert len(PARAMS) == len(FromConfig.__subclasses__())  # no two classes claim a section
    assert set(PARAMS) == set(CONFIG) - NOT_METHOD_SETTINGS
    assert [cls.__name__ for cls in PARAMS.values() if not cls.__name__.endswith("Params")] == []


@pytest.mark.parametrize("section", sorted(PARAMS))
def test_config_section_restates_the_defaults_of_its_params_class(section):
    # a field without a default is one the config leaves null for the workflow to fill from the dataset
    defaults = {field.name: None if field.default is dataclasses.MISSING else field.default
                for field in dataclasses.fields(PARAMS[section])}
    settings = {key: tuple(value) if isinstance(value, list) else value
                for key, value in method_settings(CONFIG, section).items()}
    assert settings == defaults


def setting_defaults():
    """``{field name: the defaults it has}`` over every ``*Params`` class."""
    defaults = {}
    for cls in PARAMS.values():
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                defaults.setdefault(field.name, []).append(field.default)
    return defaults


def library_callables():
    """``(qualified name, callable)`` of every function and class defined in rsseg, ``*Params`` aside."""
    for module in MODULES:
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__ \
                    and not (inspect.isclass(obj) and issubclass(obj, FromConfig)):
                yield f"{module.__name__}.{name}", obj


def test_a_function_taking_a_setting_on_its_own_defaults_to_the_settings_value():
    defaults = setting_defaults()
    disagreeing = []
    for name, function in library_callables():
        try:
            parameters = inspect.signature(function).parameters.values()
        except ValueError:  # a class whose signature inspect cannot read (no Python __init__)
            continue
        disagreeing += [f"{name}({p.name}={p.default!r}), the settings say {defaults[p.name]}" for p in parameters
                        if p.name in defaults and p.default not in (inspect.Parameter.empty, None)
                        and p.default not in defaults[p.name]]
    assert disagreeing == []

