import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO, SNAKEMAKE, TEST_DIR
from rsseg.config import (
    coerce_booleans,
    coerce_numbers,
    config_problems,
    dataset_bands,
    sensitivity_points,
    sort_settings,
    unknown_settings,
)

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
    (lambda c: c["datasets"]["loveda"].pop("superpixel_bands", None) or c["superpixels"].update(bands=["nir"]),
     "superpixels.bands names ['nir'], which are not bands of dataset loveda (['red', 'green', 'blue']); "
     "set datasets.loveda.superpixel_bands"),
    (lambda c: c["datasets"]["demo"].update(checksum="md5:" + "0" * 32, source="resources/manual/demo"),
     "datasets.demo.checksum is set, but source resources/manual/demo is a local folder, which no checksum "
     "describes; remove the checksum"),
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


def schema():
    return yaml.safe_load(Path(SCHEMA).read_text())


def test_unknown_settings_are_named_with_the_nearest_valid_key():
    config = repo_config()
    config["superpixel_fnc"] = {"epochs": 1}
    config["superpixel_fcn"]["epoch"] = 3
    config["datasets"]["gid"]["composite_band"] = ["red", "green", "blue"]
    config["zzz"] = 1
    assert sorted(unknown_settings(config, schema())) == [
        "unknown setting datasets.gid.composite_band (did you mean datasets.gid.composite_bands?)",
        "unknown setting superpixel_fcn.epoch (did you mean superpixel_fcn.epochs?)",
        "unknown setting superpixel_fnc (did you mean superpixel_fcn?)",
        "unknown setting zzz (valid here: classifier, datasets, device, farmland_iou, isodata, kmeans, "
        "matched_clusters, methods, patches, report, resources, run, sam, sam_clip, seeds, sensitivity, "
        "skip_unscored_scenes, study, "
        "superpixel_fcn, superpixel_fcn_consensus, superpixel_kmeans, superpixels, upscale, weights)"]
    assert unknown_settings(repo_config(), schema()) == []
    with pytest.raises(Exception, match="'superpixel_fnc' was unexpected"):  # the schema itself refuses it too
        validate({**repo_config(), "superpixel_fnc": {"epochs": 1}}, SCHEMA)


def test_true_and_false_words_become_booleans_where_the_schema_wants_one():
    config = repo_config()
    config.update(skip_unscored_scenes="true", farmland_iou="False", device="true")
    config["study"]["skip_missing"] = "TRUE"
    coerce_booleans(config, schema())
    assert config["skip_unscored_scenes"] is True and config["farmland_iou"] is False
    assert config["study"]["skip_missing"] is True
    assert config["device"] == "true"  # not a boolean setting: the schema refuses it as it is


def test_numbers_and_null_as_text_become_what_the_schema_wants_also_in_a_list():
    config = repo_config()
    # what Snakemake's --config gives for seeds=[0,1] (YAML's base loader) and a section's values, as in
    # 'superpixel_fcn={epochs: 3, lr: 0.01}' and 'superpixels={tile_size: null}'
    config.update(seeds=["0", " 1"], device="2")
    config["superpixel_fcn"].update(epochs="3", lr="0.01")
    config["superpixels"]["tile_size"] = "null"
    config["isodata"].update(min_cluster_size="1e-3", max_std="2")
    config["datasets"]["gid"]["published"]["ami"]["kmeans"] = ".25"
    config["classifier"]["positive_prompts"] = ["3"]  # text where the schema wants text
    coerce_numbers(config, schema())
    assert config["seeds"] == [0, 1] and config["superpixel_fcn"]["epochs"] == 3
    assert config["superpixel_fcn"]["lr"] == 0.01 and config["superpixels"]["tile_size"] is None
    assert config["isodata"]["min_cluster_size"] == 0.001 and config["isodata"]["max_std"] == 2
    assert config["datasets"]["gid"]["published"]["ami"]["kmeans"] == 0.25
    assert config["classifier"]["positive_prompts"] == ["3"]
    assert config["device"] == "2"  # not a number setting: the schema refuses it as it is
    validate({**config, "device": "cpu"}, SCHEMA)


def test_settings_are_sorted_at_every_level_whatever_order_they_were_merged_in():
    merged = {"kmeans": {"n_init": 1, "sample_size": 2000}, "datasets": {"b": {"labels": {"type": "index",
              "classes": [{"value": 1, "name": "x"}]}}, "a": {}}, "seeds": [2, 0]}
    settings = merged["kmeans"]
    sort_settings(merged)
    assert repr(merged) == ("{'datasets': {'a': {}, 'b': {'labels': {'classes': [{'name': 'x', 'value': 1}], "
                            "'type': 'index'}}}, 'kmeans': {'n_init': 1, 'sample_size': 2000}, 'seeds': [2, 0]}")
    assert merged["kmeans"] is settings  # in place: the workflow's config object stays the same


def test_the_old_seed_setting_points_at_seeds():
    config = repo_config()
    config["seed"] = 1
    assert unknown_settings(config, schema()) == ["unknown setting seed (did you mean seeds?)"]


def test_an_rgb_dataset_shows_true_colour_where_the_composite_names_a_band_it_lacks():
    config = repo_config()
    config["datasets"]["loveda"].pop("composite_bands")
    assert config["report"]["composite"] == ["nir", "red", "green"]
    assert dataset_bands(config, "loveda", "composite_bands") == ["red", "green", "blue"]
    assert dataset_bands(config, "gid", "composite_bands") == ["nir", "red", "green"]
    assert config_problems(config) == []  # not a problem: only the display falls back
    config["datasets"]["loveda"]["band_names"] = ["a", "b", "c"]
    assert dataset_bands(config, "loveda", "composite_bands") == ["a", "b", "c"]  # no RGB either: the first bands
