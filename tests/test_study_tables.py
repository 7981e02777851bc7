"""The study's cross-dataset tables, the parameter study's table and their figures, from made-up scores."""

import math

import pandas as pd
import pytest

from rsseg.evaluation.sensitivity import sensitivity_table, varied_parameter
from rsseg.evaluation.study import study_ami_table, study_farmland_table
from rsseg.report.figures import sensitivity_chart, study_chart
from rsseg.report.study_page import paper_style, write_study_report


def ami_table(rows):
    """An AMI table of ``(scene, method, ami)`` rows of seed 0, or ``(scene, method, seed, ami)`` rows."""
    rows = [row if len(row) == 4 else (*row[:2], 0, row[2]) for row in rows]
    return pd.DataFrame(rows, columns=["scene", "method", "seed", "ami"])


def test_study_table_has_mean_sd_and_the_papers_figure_beside_ours():
    tables = {"gid": ami_table([("a", "fcn", 0, 0.2), ("b", "fcn", 0, 0.4), ("a", "fcn", 1, 0.3),
                                ("b", "fcn", 1, 0.5), ("a", "kmeans", 0.1), ("b", "kmeans", 0.1)]),
              "demo": ami_table([("x", "fcn", 0.16)])}
    table = study_ami_table(tables, published={"gid": {"ami": {"fcn": 0.2955}, "source": "Chen 2022"}},
                            missing={"vaihingen": "resources/manual/ISPRS_Vaihingen/ is missing"})
    rows = table.set_index(["dataset", "method"])
    assert rows.loc[("gid", "fcn"), "ami_mean"] == pytest.approx(0.35)
    assert rows.loc[("gid", "fcn"), "ami_sd_seeds"] == pytest.approx(0.0707, abs=1e-4)  # seed means 0.3, 0.4
    assert rows.loc[("gid", "fcn"), "ami_sd_scenes"] == pytest.approx(0.1414, abs=1e-4)  # scene means 0.25, 0.45
    assert rows.loc[("gid", "fcn"), "n_seeds"] == 2 and rows.loc[("gid", "kmeans"), "n_seeds"] == 1
    assert rows.loc[("gid", "fcn"), "published_ami"] == 0.2955
    assert rows.loc[("gid", "fcn"), "published_source"] == "Chen 2022"
    assert pd.isna(rows.loc[("gid", "kmeans"), "published_ami"]) and rows.loc[("demo", "fcn"), "n_scenes"] == 1
    assert table.iloc[-1]["status"] == "missing: resources/manual/ISPRS_Vaihingen/ is missing"
    paper = paper_style(table)
    assert paper.loc["gid", "fcn"] == "0.350 ± 0.071 (2 x 2) [paper 0.2955]"
    assert paper.loc["demo", "fcn"] == "0.160 (1 x 1)" and paper.loc["vaihingen", "note"].startswith("missing:")


def test_farmland_study_table_takes_each_datasets_pooled_row():
    farmland = pd.DataFrame([("s", "s_p000", 0.5, 0.6, 0.7, 100), ("all", "total", 0.55, 0.65, 0.75, 250)],
                            columns=["scene", "patch_id", "iou", "precision", "recall", "n_pixels"])
    table = study_farmland_table({"loveda": farmland})
    assert table.to_dict("records") == [{"dataset": "loveda", "iou": 0.55, "precision": 0.65, "recall": 0.75,
                                         "n_patches": 1, "n_pixels": 250}]


def test_sensitivity_table_puts_the_published_point_first_and_names_what_varies():
    points = [{"scale": 32, "epochs": 10, "n_classes": 32}, {"scale": 8, "epochs": 10, "n_classes": 32},
              {"scale": 32, "epochs": 1, "n_classes": 32}]
    scores = [[{"scene": "a", "seed": 0, "ami": 0.3, "seconds": 10},
               {"scene": "a", "seed": 1, "ami": 0.5, "seconds": 12}],
              [{"scene": "a", "seed": 0, "ami": 0.2, "seconds": 9}],
              [{"scene": "a", "seed": 0, "ami": float("nan"), "seconds": 1},
               {"scene": "b", "seed": 0, "ami": 0.1, "seconds": 1}]]
    table = sensitivity_table(points, scores)
    assert table["varied"].tolist() == ["published", "scale", "epochs"]
    assert table["ami_mean"].tolist() == pytest.approx([0.4, 0.2, 0.1])
    assert table["ami_sd_seeds"][0] == pytest.approx(0.1414, abs=1e-4) and math.isnan(table["ami_sd_seeds"][1])
    assert table["n_scenes"].tolist() == [1, 1, 2] and table["n_seeds"].tolist() == [2, 1, 1]
    assert varied_parameter({"scale": 32.0, "epochs": 10, "n_classes": 32}, points[0]) == "published"


def test_study_figures_and_page_are_written(tmp_path):
    study = study_ami_table({"gid": ami_table([("a", "fcn", 0.2), ("b", "fcn", 0.4)])},
                            published={"gid": {"ami": {"fcn": 0.2955}}}, missing={})
    study_chart(tmp_path / "study.png", study)
    points = [{"scale": 32, "epochs": 10, "n_classes": 32}, {"scale": 8, "epochs": 10, "n_classes": 32},
              {"scale": 32, "epochs": 5, "n_classes": 32}, {"scale": 32, "epochs": 10, "n_classes": 8}]
    sensitivity_chart(tmp_path / "sensitivity.png",
                      sensitivity_table(points, [[{"scene": "a", "seed": seed, "ami": a + seed / 100, "seconds": 1}
                                                 for seed in (0, 1)] for a in (0.3, 0.2, 0.25, 0.1)]))
    write_study_report(tmp_path / "study.html", ami=study, farmland=None,
                       figures=[("all datasets", tmp_path / "study.png"), ("gid", tmp_path / "sensitivity.png")])
    page = (tmp_path / "study.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "[paper 0.2955]" in page
