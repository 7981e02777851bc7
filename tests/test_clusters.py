"""Methods at matched numbers of clusters: the names of such runs, the table over them, the documents' tables."""

import math

import pandas as pd
import pytest

from rsseg.evaluation.clusters import clusters_table, matched_method, split_method
from rsseg.report import results_tables


def test_a_method_at_a_count_is_named_and_read_back():
    assert matched_method("superpixel_kmeans", 16) == "superpixel_kmeans_k16"
    assert split_method("superpixel_fcn_consensus_k32") == ("superpixel_fcn_consensus", "32")
    assert split_method("superpixel_kmeans_kfcn") == ("superpixel_kmeans", "fcn")
    assert split_method("superpixel_fcn") == ("superpixel_fcn", "emergent")
    with pytest.raises(ValueError, match="'kmeans' is not a method at a number of clusters"):
        split_method("kmeans")


def score_rows(runs):
    """Score records of ``(method, seed, ami, n_segments)`` on one scene, as load_scores returns them."""
    return pd.DataFrame([{"scene": "a", "method": method, "seed": seed, "ami": ami, "fmi": 0.5, "ari": 0.2,
                          "matched_accuracy": math.nan if segments > 5 else 0.6, "matched_miou": 0.4,
                          "many_to_one_accuracy": 0.7, "n_segments": segments, "seconds": 2.0, "cpu_seconds": 1.5,
                          "seconds_per_megapixel": 4.0} for method, seed, ami, segments in runs])


def test_the_table_gives_each_method_and_count_its_spread_the_fcn_and_its_control_first():
    table = clusters_table(score_rows([
        ("kmeans_k16", 0, 0.2, 16), ("kmeans_k16", 1, 0.3, 16), ("kmeans_k5", 0, 0.1, 5), ("kmeans_k5", 1, 0.1, 5),
        ("superpixel_kmeans_kfcn", 0, 0.25, 14), ("superpixel_kmeans_kfcn", 1, 0.35, 18),
        ("superpixel_fcn", 0, 0.3, 14), ("superpixel_fcn", 1, 0.4, 18)]))
    assert list(zip(table["method"], table["clusters"], strict=True)) == [
        ("superpixel_fcn", "emergent"), ("superpixel_kmeans", "fcn"), ("kmeans", "5"), ("kmeans", "16")]
    fcn = table.iloc[0]
    assert fcn["ami_mean"] == pytest.approx(0.35) and fcn["ami_sd_seeds"] == pytest.approx(math.sqrt(0.005))
    assert fcn["n_segments"] == 16 and fcn["n_seeds"] == 2
    assert table.iloc[2]["matched_accuracy"] == 0.6 and math.isnan(table.iloc[3]["matched_accuracy"])


def write_results(folder, dataset, consensus_cpu=10.0):
    classes = str(results_tables.n_classes(dataset))
    clusters = pd.DataFrame([
        {"method": "superpixel_fcn", "clusters": "emergent", "ami_mean": 0.3, "ami_sd_seeds": 0.02, "n_seeds": 5,
         "n_segments": 16.2},
        {"method": "superpixel_kmeans", "clusters": "fcn", "ami_mean": 0.25, "ami_sd_seeds": 0.01, "n_seeds": 5,
         "n_segments": 16.2},
        {"method": "kmeans", "clusters": classes, "ami_mean": 0.1, "ami_sd_seeds": 0.001, "n_seeds": 5,
         "n_segments": 5},
        {"method": "superpixel_kmeans", "clusters": "32", "ami_mean": 0.28, "ami_sd_seeds": 0.004, "n_seeds": 5,
         "n_segments": 32},
        {"method": "superpixel_fcn_consensus", "clusters": "32", "ami_mean": 0.35, "ami_sd_seeds": 0.006, "n_seeds": 5,
         "n_segments": 32}])
    clusters = clusters.assign(matched_accuracy=math.nan, matched_miou=math.nan, many_to_one_accuracy=0.5,
                               cpu_seconds=1.0)
    clusters.to_csv(folder / f"{dataset}_clusters.csv", index=False)
    pd.DataFrame({"method": ["superpixel_fcn", "superpixel_fcn_consensus"], "cpu_seconds": [40.0, consensus_cpu]}
                 ).to_csv(folder / f"{dataset}_summary.csv", index=False)


def test_the_headline_table_reads_the_committed_csvs(tmp_path):
    write_results(tmp_path, "gid-mtl5")
    table = results_tables.headline(tmp_path, ["gid-mtl5"])
    assert table.splitlines()[2] == ("| gid-mtl5 (5, 5) | 0.100 ± 0.001 | 0.280 ± 0.004 | 0.300 ± 0.020 (16.2) | "
                                     "0.250 ± 0.010 | **0.350 ± 0.006** | 0.25x |")


def test_a_document_whose_table_differs_from_the_csvs_is_rewritten_or_reported(tmp_path, monkeypatch):
    for dataset in results_tables.DATASETS:
        write_results(tmp_path, dataset)
    document = tmp_path / "README.md"
    document.write_text("intro\n<!-- table: headline -->\n| typed by hand |\n<!-- /table -->\nend\n")
    monkeypatch.setattr(results_tables, "RESULTS", tmp_path)
    monkeypatch.setattr(results_tables, "DOCUMENTS", (document,))
    monkeypatch.setattr(results_tables, "REPO", tmp_path)
    assert results_tables.main(["--check"]) == 1
    assert results_tables.main([]) == 0
    text = document.read_text()
    assert text.startswith("intro\n<!-- table: headline -->\n| dataset (classes, seeds) |") and text.endswith(
        "<!-- /table -->\nend\n")
    assert results_tables.main(["--check"]) == 0
    write_results(tmp_path, "gid-mtl5", consensus_cpu=12.0)  # a new run: the document is stale again
    assert results_tables.main(["--check"]) == 1


def test_readme_and_study_agree_with_the_committed_csvs():
    # every dataset's CSVs are committed and every table of README.md and docs/study.md is written from them
    for dataset in results_tables.DATASETS:
        for kind in results_tables.TABLE_FILES:
            assert (results_tables.RESULTS / f"{dataset}_{kind}.csv").is_file()
    assert results_tables.main(["--check"]) == 0
    readme = (results_tables.REPO / "README.md").read_text()
    assert "| gid-mtl15 (15, 5) |" in readme


def test_an_unknown_table_name_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no table 'nonsense'"):
        results_tables.rewrite("<!-- table: nonsense -->\n<!-- /table -->\n", tmp_path)
