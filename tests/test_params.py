"""One source of truth for every default: each section of method settings in config/config.yaml holds
exactly the fields of its ``*Params`` dataclass, at the dataclass's defaults, and a library function that
takes one of these settings on its own defaults to the same value."""

import copy
import dataclasses
import importlib
import inspect
import pkgutil
import re

import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError
from snakemake.utils import validate

import rsseg
from conftest import REPO
from rsseg import IGNORE_LABEL
from rsseg.config import method_settings
from rsseg.params import FromConfig, Range

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





SCHEMA_FILE = REPO / "workflow" / "schemas" / "config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
RANGE_ENDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
"""The fields of :class:`rsseg.params.Range` for the schema's keywords of ``BOUNDS``."""
FILLED_BY_THE_WORKFLOW = {"n_clusters": 4, "desired_clusters": 4}
"""Settings the config leaves null for the workflow to fill from the dataset, as it would fill them."""


def setting_schema(section, key):
    """The schema of one setting of a section, a local ``$ref`` followed (the keywords beside it apply too)."""
    schema = dict(SCHEMA["properties"][section]["properties"][key])
    return {**SCHEMA["$defs"][schema.pop("$ref").rsplit("/", 1)[-1]], **schema} if "$ref" in schema else schema


def schema_admits(section, **changes):
    """Whether the schema lets the repository's section through with ``changes``."""
    schema = {**SCHEMA["properties"][section], "$defs": SCHEMA["$defs"]}
    return Draft202012Validator(schema).is_valid({**CONFIG[section], **changes})


def job_settings(section, config=CONFIG, **changes):
    """The settings of ``section`` as a job gets them (the dataset's number of classes filled in), with ``changes``."""
    settings = {key: FILLED_BY_THE_WORKFLOW[key] if value is None and key in FILLED_BY_THE_WORKFLOW else value
                for key, value in method_settings(config, section).items()}
    return {**settings, **changes}


def declared_bounds(cls, field):
    """The bounds a ``*Params`` class declares for a field, in the schema's keywords."""
    allowed = cls.bounds.get(field, Range())
    return {keyword: getattr(allowed, attribute) for keyword, attribute in zip(BOUNDS, RANGE_ENDS, strict=True)
            if getattr(allowed, attribute) is not None}


def extremes(section):
    """``(field, an extreme, a value just beyond it)`` for every bound that the schema sets or the section's ``*Params``
    declares on a field (integers step by 1, numbers by 1e-6), and each value of an enumeration with one it lacks."""
    cls = PARAMS[section]
    for field in dataclasses.fields(cls):
        schema = setting_schema(section, field.name)
        step = 1 if "integer" in schema.get("type", ()) else 1e-6
        bounds = set(declared_bounds(cls, field.name).items()) | {(key, schema[key]) for key in BOUNDS if key in schema}
        for keyword, bound in sorted(bounds):
            outward = step if "aximum" in keyword else -step
            inclusive = keyword in ("minimum", "maximum")
            yield (field.name, bound, bound + outward) if inclusive else (field.name, bound - outward, bound)
        for value in schema.get("enum", ()):
            yield field.name, value, "no such value"


@pytest.mark.parametrize("section", sorted(PARAMS))
def test_every_params_class_takes_the_schemas_extremes_and_refuses_what_lies_beyond_them(section):
    cls, probed = PARAMS[section], 0
    for field, extreme, beyond in extremes(section):
        # what the schema lets through never fails a job, and what it refuses the library refuses too
        assert schema_admits(section, **{field: extreme}), (field, extreme)
        cls.from_config(job_settings(section, **{field: extreme}))
        assert not schema_admits(section, **{field: beyond}), (field, beyond)
        with pytest.raises(ValueError, match=rf"{field} must .*got '?{re.escape(str(beyond))}"):
            cls.from_config(job_settings(section, **{field: beyond}))
        probed += 1
    assert probed


def test_a_cluster_count_the_workflow_fills_in_takes_as_many_classes_as_a_dataset_may_have():
    most = SCHEMA["$defs"]["dataset"]["properties"]["labels"]["properties"]["classes"]["maxItems"]
    assert most < IGNORE_LABEL  # class indices are labels of a uint8 map
    for section, cls in PARAMS.items():
        for field in FILLED_BY_THE_WORKFLOW.keys() & {field.name for field in dataclasses.fields(cls)}:
            cls.from_config(job_settings(section, **{field: most}))
    with pytest.raises(ValidationError, match="is too long"):
        Draft202012Validator(SCHEMA["$defs"]["dataset"]["properties"]["labels"]).validate(
            {"type": "index", "classes": [{"name": str(value), "value": value} for value in range(most + 1)]})


def test_a_config_leaving_its_optional_settings_out_runs_with_the_library_defaults():
    config = copy.deepcopy(CONFIG)
    for section in PARAMS:
        required = SCHEMA["properties"][section].get("required", [])
        config[section] = {key: value for key, value in config[section].items() if key in required}
    assert "tile_size" not in config["superpixels"] and config["sam"] == {}
    validate(config, str(SCHEMA_FILE))  # as the workflow does: the schema fills in its defaults
    for section, cls in PARAMS.items():
        # every setting is back at the library's default, which the repository's config restates: no rule reads a
        # setting as missing, and every job gets what the library would take
        assert config[section] == CONFIG[section], section
        assert cls.from_config(job_settings(section, config)) == cls.from_config(job_settings(section))
