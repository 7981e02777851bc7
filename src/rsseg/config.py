"""Reading the workflow's config: what a dataset entry means, and the checks its JSON schema cannot express.

The schema checks each value on its own; :func:`config_problems` checks values against each other (a
stride larger than the window, band names that are not bands of a dataset, farmland classes that are
not classes), so that a run stops at once with one line per problem instead of failing in a job hours
later. Standard library only: the workflow's own process imports this module.
"""

import difflib
import re
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any, NamedTuple

from .urls import is_remote, source_filename

BAND_SETTINGS = {"superpixel_bands": ("superpixels", "bands"), "upscale_bands": ("upscale", "bands"),
                 "composite_bands": ("report", "composite")}
"""Settings that name bands: the dataset key that overrides each, and the global setting it overrides."""
CONSENSUS_RUN_SETTINGS = ("runs", "epochs", "min_steps", "downsample", "window")
"""The settings of superpixel_fcn_consensus that change its runs; the others change only how they are clustered,
so the workflow trains once and clusters as often as those change (rsseg.methods.consensus)."""
TRUE_COLOUR = ["red", "green", "blue"]
BOOLEAN_WORDS = {"true": True, "false": False}
"""``--config key=true`` reaches the config as a string; these words are the booleans they say."""


def dataset_bands(config: Mapping[str, Any], dataset: str, setting: str) -> list[str]:
    """The band names ``setting`` (a key of :data:`BAND_SETTINGS`) selects for ``dataset``: the dataset's own
    override, else the global setting.

    The maps' composite is only for display, so where the dataset lacks a band of ``report.composite`` (an
    RGB dataset under a NIR-red-green composite) it falls back to red, green, blue, else its first bands.
    The other settings change results, so a band they name and the dataset lacks is a config problem.
    """
    section, key = BAND_SETTINGS[setting]
    entry = config["datasets"][dataset]
    bands = list(entry.get(setting, config[section][key]))
    names = entry["band_names"]
    if setting != "composite_bands" or setting in entry or set(bands) <= set(names):
        return bands
    return TRUE_COLOUR if set(TRUE_COLOUR) <= set(names) else (names * 3)[:3]


def method_settings(config: Mapping[str, Any], section: str) -> dict[str, Any]:
    """A section of method settings as its ``*Params`` class takes it (:meth:`rsseg.params.FromConfig.from_config`):
    without the band settings it holds, which name bands and are resolved per dataset (:func:`dataset_bands`)."""
    band_keys = {key for band_section, key in BAND_SETTINGS.values() if band_section == section}
    return {key: value for key, value in config[section].items() if key not in band_keys}


def dataset_problems(name: str, dataset: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    problems = []
    where = f"datasets.{name}"
    bands, band_names = dataset["bands"], dataset["band_names"]
    if len(bands) != len(band_names):
        problems.append(f"{where}: bands has {len(bands)} entries but band_names {len(band_names)}; "
                        "give one name per selected band")
    if len(set(band_names)) != len(band_names):
        problems.append(f"{where}.band_names repeats a name: {band_names}")
    for setting, (section, key) in BAND_SETTINGS.items():
        unknown = [b for b in dataset_bands(config, name, setting) if b not in band_names]
        if unknown:
            source = f"{where}.{setting}" if setting in dataset else f"{section}.{key}"
            problems.append(f"{source} names {unknown}, which are not bands of dataset {name} ({band_names}); "
                            f"set {where}.{setting}")
    source = dataset["source"]
    if "checksum" in dataset and isinstance(source, str) and not is_remote(source):
        problems.append(f"{where}.checksum is set, but source {source} is a local folder, which no checksum "
                        "describes; remove the checksum, or give the archive itself as source (file://...)")
    classes = dataset["labels"]["classes"]
    names = [c["name"] for c in classes]
    if len(set(names)) != len(names):
        problems.append(f"{where}.labels.classes repeats a name: {names}")
    needed = "colour" if dataset["labels"]["type"] == "colour" else "value"
    missing = [c["name"] for c in classes if needed not in c]
    if missing:
        problems.append(f"{where}.labels is of type {dataset['labels']['type']} but classes {missing} have no "
                        f"{needed}")
    unknown = [c for c in dataset["farmland"] if c not in names]
    if unknown:
        problems.append(f"{where}.farmland names {unknown}, which are not classes of dataset {name} ({names})")
    return problems


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Every problem of a schema-valid config, one line each; empty when it is consistent."""
    problems = []
    for key, names in (("run", config["run"]), ("study.datasets", config["study"]["datasets"]),
                       ("study.sensitivity", config["study"]["sensitivity"])):
        for name in names:
            if name not in config["datasets"]:
                problems.append(f"{key} lists dataset {name!r}, which is not in datasets "
                                f"({', '.join(config['datasets'])})")
    for name, dataset in config["datasets"].items():
        problems += dataset_problems(name, dataset, config)
    fcn = config["superpixel_fcn"]
    if fcn["stride"] > fcn["window"]:
        problems.append(f"superpixel_fcn.stride {fcn['stride']} is larger than superpixel_fcn.window {fcn['window']}: "
                        "the windows would leave pixels out")
    return problems


def _subschema(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/name``) followed."""
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


class Setting(NamedTuple):
    """One key of a config and what its schema says of it."""
    name: str  # dotted, e.g. superpixel_fcn.epochs
    holder: MutableMapping[str, Any]  # the mapping holding it
    key: str
    schema: Mapping[str, Any] | None  # its schema; None where the schema does not allow the key
    known: list[str]  # the keys the schema names beside it


def _settings(config: Any, schema: Mapping[str, Any], root: Mapping[str, Any], where: str = "") -> Iterator[Setting]:
    """Every setting of ``config`` with its schema, depth first."""
    if not isinstance(config, MutableMapping):
        return
    schema = _subschema(schema, root)
    known, others = schema.get("properties", {}), schema.get("additionalProperties", True)
    for key, value in config.items():
        name = f"{where}.{key}" if where else str(key)
        sub = known.get(key, others if isinstance(others, Mapping) else {} if others else None)
        yield Setting(name, config, key, sub, sorted(known))
        if sub is not None:
            yield from _settings(value, sub, root, name)


def unknown_settings(config: MutableMapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """One line for every key the schema does not allow, with the nearest valid name: a typo would
    otherwise be a setting silently left at its default."""
    problems = []
    for setting in _settings(config, schema, schema):
        if setting.schema is None:
            nearest = difflib.get_close_matches(str(setting.key), setting.known, n=1)
            parent = setting.name[:-len(str(setting.key))]
            hint = f"did you mean {parent}{nearest[0]}?" if nearest else f"valid here: {', '.join(setting.known)}"
            problems.append(f"unknown setting {setting.name} ({hint})")
    return problems


def coerce_booleans(config: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Turn the words true and false into booleans where the schema expects one: ``--config key=true`` gives
    the string "true", which would be refused, while ``key=True`` works."""
    for setting in list(_settings(config, schema, schema)):
        value = setting.holder[setting.key]
        if (setting.schema and setting.schema.get("type") == "boolean" and isinstance(value, str)
                and value.lower() in BOOLEAN_WORDS):
            setting.holder[setting.key] = BOOLEAN_WORDS[value.lower()]


NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
NULL_WORDS = ("null", "~")


def _types(schema: Mapping[str, Any]) -> list[str]:
    types = schema.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _scalar(value: Any, types: Sequence[str]) -> Any:
    """``value`` as the schema's ``types`` want it, where it is the text of a number or of null."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if "null" in types and text in NULL_WORDS:
        return None
    if "integer" in types and re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if "number" in types and NUMBER.fullmatch(text):
        return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else float(text)
    return value


def coerce_numbers(config: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Turn the text of a number or of null into one where the schema expects one, also in a list: Snakemake reads
    a list of ``--config seeds=[0,1]`` and the values of a section ``--config 'superpixel_fcn={lr: 0.01}'`` with
    YAML's base loader, which gives the strings "0", "1" and "0.01"."""
    for setting in list(_settings(config, schema, schema)):
        if not setting.schema:
            continue
        sub, value = _subschema(setting.schema, schema), setting.holder[setting.key]
        if "array" in _types(sub) and isinstance(value, list):
            items = _types(_subschema(sub.get("items", {}), schema))
            setting.holder[setting.key] = [_scalar(item, items) for item in value]
        else:
            setting.holder[setting.key] = _scalar(value, _types(sub))


def sort_settings(config: MutableMapping[str, Any]) -> None:
    """Put the keys of every mapping of ``config`` in sorted order, in place. Snakemake tells a changed parameter
    by its text, so the order in which ``--config`` or a ``--configfile`` merged the keys of a section must not
    make the section another parameter and rerun every job of it."""
    items = sorted(config.items(), key=lambda item: str(item[0]))
    config.clear()
    config.update(items)
    for value in config.values():
        for mapping in value if isinstance(value, list) else [value]:
            if isinstance(mapping, MutableMapping):
                sort_settings(mapping)


def dataset_archives(name: str, dataset: Mapping[str, Any]) -> list[dict[str, str | None]]:
    """The archives of a dataset's config entry as ``{url, checksum, filename}``; empty for a local folder.

    ``source`` is one URL (with the entry's ``checksum``) or a list of ``{url, checksum[, filename]}``.
    ``filename`` (where a manual copy goes) defaults to the URL's last path part, else the dataset's name.
    """
    source = dataset["source"]
    if isinstance(source, str):
        if not is_remote(source):
            return []
        source = [{"url": source, "checksum": dataset.get("checksum")}]
    archives = []
    for index, entry in enumerate(source):
        default = f"{name}.download" if len(source) == 1 else f"{name}-{index + 1}.download"
        archives.append({"url": entry["url"], "checksum": entry.get("checksum"),
                         "filename": entry.get("filename") or source_filename(entry["url"]) or default})
    return archives


SENSITIVITY_PARAMETERS = {"scale": ("superpixels", "scale"), "epochs": ("superpixel_fcn", "epochs"),
                          "n_classes": ("superpixel_fcn", "n_classes")}
"""The parameters of the parameter study and the settings that hold their published values."""


def sensitivity_points(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The points of the parameter study: the published setting first, then each value of ``sensitivity``
    varied alone around it (a value equal to the published one is that first point)."""
    centre = {name: config[section][key] for name, (section, key) in SENSITIVITY_PARAMETERS.items()}
    points = [centre]
    for name in SENSITIVITY_PARAMETERS:
        points += [{**centre, name: value} for value in config["sensitivity"][name] if value != centre[name]]
    return points
