"""The `study` target end to end over two tiny datasets, one downloaded as two md5-checked LoveDA-layout archives,
and the parameter study."""

import zipfile

import pandas as pd
import pytest
import yaml

from conftest import REPO, serve
from dataset_fixtures import write_loveda
from rsseg.data.download import file_digest

pytestmark = pytest.mark.e2e

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module")
def loveda_server(tmp_path_factory):
    """LoveDA's Train.zip and Val.zip, tiny, served over HTTP; yields their source entries with md5."""
    folder = tmp_path_factory.mktemp("loveda")
    write_loveda(folder / "unpacked")
    for split in ("Train", "Val"):
        with zipfile.ZipFile(folder / f"{split}.zip", "w") as archive:
            for path in (folder / "unpacked" / split).rglob("*.png"):
                archive.write(path, path.relative_to(folder / "unpacked"))
    with serve(folder) as url:
        yield [{"url": f"{url}/{split}.zip?download=1",
                "checksum": f"md5:{file_digest(folder / f'{split}.zip', 'md5')}"} for split in ("Train", "Val")]


def study_config(config, loveda_sources, missing_folder):
    loveda = {**{k: v for k, v in CONFIG["datasets"]["loveda"].items() if k != "max_scenes"}, "source": loveda_sources}
    loveda.pop("composite_bands")  # an RGB dataset: its maps fall back to red, green, blue
    vaihingen = {**CONFIG["datasets"]["vaihingen"], "source": str(missing_folder)}
    # a dataset that downloads by itself, but not today (offline, or a host refusing it)
    offline = {**loveda, "source": [{**loveda_sources[0], "url": loveda_sources[0]["url"].replace("Train", "Gone")}]}
    config["datasets"].update({"tiny-loveda": loveda, "tiny-vaihingen": vaihingen, "tiny-offline": offline})
    config["datasets"]["tiny"]["published"] = {"ami": {"kmeans": 0.5}, "source": "a made-up paper"}
    config["datasets"]["tiny"]["scenes"] = ["scene_a"]  # one scene is enough here, and twelve jobs fewer
    config["superpixel_fcn"].update(window=32, stride=24)  # the LoveDA tiles are 40x48 px
    config["study"] = {"datasets": ["tiny", "tiny-loveda", "tiny-vaihingen", "tiny-offline"], "skip_missing": False,
                       "sensitivity": ["tiny"]}
    config["sensitivity"] = {"scale": [16, 32], "epochs": [1, 2], "n_classes": [4, 8]}
    return config


def test_study_over_two_datasets_with_a_missing_one_and_the_parameter_study(tiny_workflow, loveda_server, tmp_path):
    missing = tmp_path / "ISPRS_Vaihingen"
    tiny_workflow.write_config(study_config(tiny_workflow.config, loveda_server, missing))
    done = tiny_workflow.run("study", "--dry-run", check=False)
    assert done.returncode != 0
    assert f"dataset tiny-vaihingen: {missing}/ is missing: request the data with the ISPRS form" in done.stderr
    assert "(or set study.skip_missing: true to list these datasets as missing and go on)" in done.stderr

    config = tiny_workflow.config
    config["study"]["skip_missing"] = True
    tiny_workflow.write_config(config)
    done = tiny_workflow.run("study")
    # PNG images carry no georeferencing: said once for the dataset, not at every read of every rule
    assert "NotGeoreferencedWarning" not in done.stderr
    assert done.stderr.count("dataset tiny-loveda: its images carry no georeferencing") == 1
    results = tiny_workflow.workdir / "results"
    study = pd.read_csv(results / "study_ami.csv")
    assert list(study.columns) == ["dataset", "method", "ami_mean", "ami_sd_seeds", "ami_sd_scenes", "n_scenes",
                                   "n_seeds", "published_ami", "published_source", "status"]
    scored = study[study["status"] == "ok"]
    assert sorted(zip(scored["dataset"], scored["method"], strict=True)) == sorted(
        (d, m) for d in ("tiny", "tiny-loveda") for m in ("superpixel_fcn", "kmeans", "isodata"))
    assert scored.groupby("dataset")["n_scenes"].first().to_dict() == {"tiny": 1, "tiny-loveda": 2}
    assert scored["ami_mean"].between(-0.1, 1).all()
    paper = study.set_index(["dataset", "method"]).loc[("tiny", "kmeans")]
    assert paper["published_ami"] == 0.5 and paper["published_source"] == "a made-up paper"
    missing_row = study.loc[study["dataset"] == "tiny-vaihingen", "status"].item()
    assert missing_row.startswith(f"missing: {missing}/ is missing")
    offline_row = study.loc[study["dataset"] == "tiny-offline", "status"].item()
    assert offline_row.startswith("missing: resources/downloads/tiny-offline/Gone.zip: missing and cannot download ")
    assert "404" in offline_row and "place a manual copy (md5:" in offline_row
    retry = tiny_workflow.run("study", "--dry-run")  # a failed download is tried again, not kept as missing
    assert "checkpoint download_dataset:" in retry.stdout and "dataset=tiny-offline" in retry.stdout
    # LoveDA's scenes are named by split, domain and tile; both archives were unpacked into one folder
    loveda = pd.read_csv(results / "tiny-loveda_ami.csv")
    assert sorted(loveda["scene"].unique()) == ["Train_Urban_1366", "Val_Rural_3514"]
    assert "(md5 ok)" in (tiny_workflow.workdir / "logs/download/tiny-loveda.log").read_text()

    page = (results / "study.html").read_text()
    assert "tiny-loveda" in page and "missing:" in page and "[paper 0.5000]" in page and "data:image/png" in page
    assert pd.read_csv(results / "study_farmland_iou.csv").empty  # no weights installed here

    sensitivity = pd.read_csv(results / "tiny_sensitivity.csv")
    assert sensitivity[["varied", "scale", "epochs", "n_classes"]].values.tolist() == [
        ["published", 32, 2, 8], ["scale", 16, 2, 8], ["epochs", 32, 1, 8], ["n_classes", 32, 2, 4]]
    assert (sensitivity["n_scenes"] == 1).all() and sensitivity["ami_mean"].between(-0.1, 1).all()
    assert (sensitivity["n_seeds"] == 1).all() and sensitivity["ami_sd_seeds"].isna().all()  # seeds: [0]
    # the published point is the main chain's setting, so it gives the main table's AMI
    main = pd.read_csv(results / "tiny_ami.csv")
    assert sensitivity["ami_mean"].iloc[0] == pytest.approx(main.loc[main["method"] == "superpixel_fcn", "ami"].item(),
                                                        abs=1e-4)
    assert (results / "tiny/charts/sensitivity.png").stat().st_size > 0
