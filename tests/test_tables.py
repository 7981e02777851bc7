import json

import pytest

from rsseg.evaluation.tables import load_scores, summarise


def test_tables_hold_one_row_per_scene_and_method_and_the_mean_per_method(tmp_path):
    paths = []
    for scene, method, ami in [("a", "kmeans", 0.2), ("b", "kmeans", 0.4), ("a", "fcn", 0.5), ("b", "fcn", 0.7)]:
        path = tmp_path / f"{scene}-{method}.json"
        path.write_text(json.dumps({"scene": scene, "method": method, "ami": ami, "fmi": 0.5, "ari": 0.1,
                                    "n_segments": 5, "n_pixels": 100, "seconds": 2.0, "megapixels": 0.5}))
        paths.append(path)
    table = load_scores(paths)
    assert len(table) == 4 and list(table.columns[:3]) == ["scene", "method", "ami"]
    assert table["seconds_per_megapixel"].tolist() == [4.0] * 4
    summary = summarise(table)
    assert summary["method"].tolist() == ["fcn", "kmeans"]
    assert summary["ami"].tolist() == pytest.approx([0.6, 0.3])
    assert summary["n_scenes"].tolist() == [2, 2]
