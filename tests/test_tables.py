import json
import math

import pandas as pd
import pytest

from rsseg.evaluation.spread import mean_and_sd, seed_spread
from rsseg.evaluation.tables import load_scores, summarise


def test_mean_and_sample_sd_over_seeds_and_no_sd_for_one_seed():
    mean, sd = mean_and_sd([0.2, 0.3, 0.4])
    assert mean == pytest.approx(0.3) and sd == pytest.approx(0.1)  # ddof=1
    mean, sd = mean_and_sd([0.25])
    assert mean == 0.25 and math.isnan(sd)  # unknown, not 0
    assert mean_and_sd([0.1, float("nan"), 0.3]) == pytest.approx((0.2, math.sqrt(0.02)))


def test_seed_spread_separates_the_seeds_spread_from_the_scenes():
    runs = pd.DataFrame([("a", 0, 0.2), ("a", 1, 0.3), ("a", 2, 0.4), ("b", 0, 0.4), ("b", 1, 0.5), ("b", 2, 0.6)],
                        columns=["scene", "seed", "ami"])
    spread = seed_spread(runs)
    assert spread["ami_mean"] == pytest.approx(0.4)
    # each seed's mean over the scenes: 0.3, 0.4, 0.5
    assert spread["ami_sd_seeds"] == pytest.approx(0.1)
    # each scene's mean over the seeds: 0.3, 0.5
    assert spread["ami_sd_scenes"] == pytest.approx(math.sqrt(0.02))
    assert (spread["n_scenes"], spread["n_seeds"]) == (2, 3)
    one = seed_spread(runs[runs["seed"] == 0])
    assert one["ami_mean"] == pytest.approx(0.3) and math.isnan(one["ami_sd_seeds"]) and one["n_seeds"] == 1


def test_tables_hold_one_row_per_scene_method_and_seed_and_the_spread_per_method(tmp_path):
    paths = []
    runs = [("a", "kmeans", 0, 0.2), ("b", "kmeans", 0, 0.4), ("a", "fcn", 0, 0.5), ("b", "fcn", 0, 0.7),
            ("a", "kmeans", 1, 0.3), ("b", "kmeans", 1, 0.5), ("a", "fcn", 1, 0.5), ("b", "fcn", 1, 0.7)]
    for scene, method, seed, ami in runs:
        path = tmp_path / f"{scene}-{method}-{seed}.json"
        path.write_text(json.dumps({"scene": scene, "method": method, "seed": seed, "ami": ami, "fmi": 0.5,
                                    "ari": 0.1, "matched_accuracy": 0.6 if seed else math.nan, "matched_miou": 0.4,
                                    "many_to_one_accuracy": 0.7, "n_segments": 5, "n_pixels": 100, "seconds": 2.0,
                                    "cpu_seconds": 1.5,
                                    "megapixels": 0.5, "threads": 2, "setting": "float32/contiguous"}))
        paths.append(path)
    table = load_scores(paths)
    assert len(table) == 8 and list(table.columns[:4]) == ["scene", "method", "seed", "ami"]
    assert list(table.columns[-2:]) == ["threads", "setting"] and (table["threads"] == 2).all()
    assert table["seconds_per_megapixel"].tolist() == [4.0] * 8
    summary = summarise(table)
    assert summary["method"].tolist() == ["fcn", "kmeans"]
    assert summary["ami_mean"].tolist() == pytest.approx([0.6, 0.35])
    assert summary["ami_sd_seeds"].tolist() == pytest.approx([0.0, math.sqrt(0.005)])
    assert summary["ami_sd_scenes"].tolist() == pytest.approx([math.sqrt(0.02), math.sqrt(0.02)])
    assert summary["n_scenes"].tolist() == [2, 2] and summary["n_seeds"].tolist() == [2, 2]
    assert summary["fmi"].tolist() == [0.5, 0.5]
    # a mean over the runs that have a score would hide that seed 0's maps had more segments than classes
    assert summary["matched_accuracy"].isna().all() and summary["matched_miou"].tolist() == [0.4, 0.4]
