import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_mutual_info_score

from conftest import synthetic_scene
from rsseg import IGNORE_LABEL
from rsseg.data.tiling import tile_windows
from rsseg.methods import compute, fcn
from rsseg.methods.compute import ComputeSetting
from rsseg.methods.fcn import (
    DENSE_VOTE_CELLS,
    FCNParams,
    SuperpixelFCN,
    majority_vote,
    predict_labels,
    remove_small_regions,
    segment_scene,
    train_fcn,
)
from rsseg.methods.superpixels import felzenszwalb_superpixels


def vote_by_loop(predicted, superpixels):
    out = predicted.clone()
    for item in range(predicted.shape[0]):
        for segment in superpixels[item].unique():
            inside = superpixels[item] == segment
            out[item][inside] = torch.bincount(predicted[item][inside]).argmax()
    return out


def test_majority_vote_matches_a_loop_over_superpixels():
    generator = torch.Generator().manual_seed(0)
    predicted = torch.randint(0, 6, (3, 20, 30), generator=generator)
    # ids negative, sparse and shared between batch items, which must still vote apart
    superpixels = torch.randint(-5, 40, (3, 4, 6), generator=generator)
    superpixels = superpixels.repeat_interleave(5, 1).repeat_interleave(5, 2) * 7
    voted = majority_vote(predicted, superpixels, n_classes=6)
    assert torch.equal(voted, vote_by_loop(predicted, superpixels))


def test_majority_vote_over_ids_too_far_apart_for_a_count_table_sorts_them():
    predicted = torch.tensor([[[0, 1, 1, 2, 2, 2]]])
    superpixels = torch.tensor([[[0, 0, 0, 1, 1, DENSE_VOTE_CELLS]]])
    assert majority_vote(predicted, superpixels, n_classes=3).tolist() == [[[1, 1, 1, 2, 2, 2]]]


def test_majority_vote_breaks_ties_towards_the_smallest_label():
    predicted = torch.tensor([[[3, 1, 3, 1]]])
    assert majority_vote(predicted, torch.zeros_like(predicted)).tolist() == [[[1, 1, 1, 1]]]


def test_majority_vote_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        majority_vote(torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 5, dtype=torch.long))


@pytest.mark.parametrize("size", [(64, 64), (37, 53)])
def test_fcn_keeps_the_input_size_and_ends_in_batch_norm(size):
    model = SuperpixelFCN(4, n_classes=32, width=8)
    assert model(torch.zeros(2, 4, *size)).shape == (2, 32, *size)
    assert isinstance(model.head[-1], torch.nn.BatchNorm2d)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(3, 3)] * 5 + [(1, 1)]


@pytest.mark.parametrize("kwargs", [{"n_classes": 1}, {"n_classes": 255}, {"epochs": 0}, {"stride": 0}])
def test_invalid_hyper_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        FCNParams(**kwargs)


def tiny_scene(seed=0):
    image, classes = synthetic_scene(72, 80, seed=seed)
    valid = (image != 0).any(axis=0)
    superpixels = felzenszwalb_superpixels(image[1:].astype(np.float32), valid, min_size=16)
    standardised = (image - image.mean(axis=(1, 2), keepdims=True)) / image.std(axis=(1, 2), keepdims=True)
    return standardised.astype(np.float32), valid, superpixels, classes


FLOAT32 = ComputeSetting("float32", "contiguous")


def assert_trained_well(image, valid, superpixels, classes, params, device, setting=FLOAT32):
    model, losses = train_fcn(image, valid, superpixels, params, device=device, seed=0, setting=setting)
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.6 * losses[0]
    labels = predict_labels(model, image, valid, params, device=device, setting=setting)
    assert labels.shape == valid.shape and labels.dtype == np.uint8
    assert (labels[~valid] == IGNORE_LABEL).all() and (labels[valid] < params.n_classes).all()
    assert adjusted_mutual_info_score(classes[valid], labels[valid]) > 0.4
    return labels


def test_training_finds_classes_that_are_uniform_within_superpixels():
    image, valid, superpixels, classes = tiny_scene()
    params = FCNParams(n_classes=8, width=8, window=48, stride=40, epochs=8, lr=0.01, min_region=1, precision="float32")
    labels = assert_trained_well(image, valid, superpixels, classes, params, "cpu")
    # the share of pixels agreeing with their superpixel's majority label
    agreeing = sum(np.bincount(labels[valid & (superpixels == s)]).max()
                   for s in np.unique(superpixels[valid]))
    assert agreeing / valid.sum() > 0.85
    # an untrained net puts everything in one class; the trained one separates the scene's classes
    assert len(np.unique(labels[valid])) >= 3


def test_training_without_valid_pixels_is_an_error():
    image, valid, superpixels, _ = tiny_scene()
    with pytest.raises(ValueError, match="no valid pixel"):
        train_fcn(image, np.zeros_like(valid), superpixels, FCNParams(n_classes=4, width=4), device="cpu", seed=0,
                  setting=FLOAT32)


def test_strip_wise_inference_equals_summing_softmax_over_the_whole_scene():
    image, valid, _, _ = tiny_scene()
    params = FCNParams(n_classes=5, width=4, window=32, stride=20, min_region=1, precision="float32")
    torch.manual_seed(0)
    model = SuperpixelFCN(4, params.n_classes, params.width).eval()
    total = torch.zeros(params.n_classes, *valid.shape)
    with torch.inference_mode():
        for row, col, h, w in tile_windows(*valid.shape, params.window, params.stride):
            window = torch.from_numpy(image[None, :, row:row + h, col:col + w])
            total[:, row:row + h, col:col + w] += torch.softmax(model(window)[0], dim=0)
    expected = total.argmax(dim=0).numpy().astype(np.uint8)
    expected[~valid] = IGNORE_LABEL
    assert np.array_equal(predict_labels(model, image, valid, params, device="cpu", setting=FLOAT32), expected)


def test_small_regions_take_the_label_of_the_nearest_large_region():
    labels = np.zeros((20, 20), dtype=np.uint8)
    labels[:, 10:] = 1
    labels[4:6, 2:4] = 2          # 4 px inside region 0
    labels[14, 17] = 3            # 1 px inside region 1
    labels[:2, :2] = IGNORE_LABEL
    cleaned = remove_small_regions(labels, min_size=20)
    expected = np.zeros((20, 20), dtype=np.uint8)
    expected[:, 10:] = 1
    expected[:2, :2] = IGNORE_LABEL
    assert np.array_equal(cleaned, expected)
    assert labels[14, 17] == 3  # the input is left alone


def test_segment_scene_reports_losses_and_timings():
    image, classes = synthetic_scene(64, 64, seed=1)
    valid = (image != 0).any(axis=0)
    superpixels = felzenszwalb_superpixels(image[1:].astype(np.float32), valid, min_size=16)
    params = FCNParams(n_classes=8, width=8, window=48, stride=40, epochs=2, precision="float32")
    labels, info = segment_scene(image.astype(np.float32), valid, superpixels, params, device="cpu", seed=3)
    assert labels.shape == (64, 64)
    assert info["device"] == "cpu" and len(info["epoch_losses"]) == 2
    assert info["train_seconds"] > 0 and info["predict_seconds"] > 0


def test_in_place_standardisation_gives_the_same_result_without_a_copy():
    image, _ = synthetic_scene(64, 64, seed=2)
    valid = (image != 0).any(axis=0)
    superpixels = felzenszwalb_superpixels(image[1:].astype(np.float32), valid, min_size=16)
    params = FCNParams(n_classes=8, width=8, window=48, stride=40, epochs=1, precision="float32")
    raw = image.astype(np.float32)
    copied, copied_info = segment_scene(raw, valid, superpixels, params, device="cpu", seed=5)
    assert np.array_equal(raw, image.astype(np.float32))  # the default leaves the input alone
    overwritten, info = segment_scene(raw, valid, superpixels, params, device="cpu", seed=5, in_place=True)
    assert np.array_equal(overwritten, copied) and info["epoch_losses"] == copied_info["epoch_losses"]
    assert np.allclose(raw[:, valid].mean(axis=1), 0, atol=1e-5) and (raw[:, ~valid] == 0).all()
    with pytest.raises(ValueError, match="float32 image, got uint8"):
        segment_scene(image, valid, superpixels, params, device="cpu", seed=5, in_place=True)


SETTINGS = [ComputeSetting(precision, layout) for precision in compute.PRECISIONS for layout in compute.LAYOUTS]
CUDA = pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"))


@pytest.mark.parametrize("device", ["cpu", CUDA])
@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_trains_and_predicts(setting, device):
    # batches of two windows: the path a GPU run with a larger batch_size takes, on the CPU too
    image, valid, superpixels, classes = tiny_scene()
    params = FCNParams(n_classes=8, width=8, window=48, stride=40, epochs=8, lr=0.01, min_region=1, batch_size=2)
    assert_trained_well(image, valid, superpixels, classes, params, device, setting)


@pytest.mark.parametrize(("capability", "avx512_bf16", "amx", "auto"), [
    ("AVX512", True, False, "bfloat16/channels_last"), ("AVX512", False, True, "bfloat16/channels_last"),
    ("AVX512", False, False, "float32/channels_last"),
    ("AVX2", True, False, "float32/contiguous")])  # AVX2: torch's kernels held below AVX-512 (ATEN_CPU_CAPABILITY)
def test_auto_is_the_rule_and_measure_times_it_first_against_the_others(monkeypatch, capability, avx512_bf16, amx,
                                                                       auto):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    cpu = torch.device("cpu")
    assert [s.name for s in compute.candidate_settings("auto", "auto", cpu)] == [auto]
    measured = [s.name for s in compute.candidate_settings("measure", "measure", cpu)]
    # the rule's choice first, kept unless another is clearly faster; bfloat16 only where it is native
    assert measured[0] == auto
    native = capability == "AVX512" and (avx512_bf16 or amx)
    precisions = ["bfloat16", "float32"] if native else ["float32"]
    assert sorted(measured) == sorted(f"{p}/{layout}" for p in precisions for layout in compute.LAYOUTS)
    assert [s.name for s in compute.candidate_settings("bfloat16", "contiguous", cpu)] == ["bfloat16/contiguous"]
    layout = auto.partition("/")[2]
    assert [s.name for s in compute.candidate_settings("float32", "auto", cpu)] == [f"float32/{layout}"]


@pytest.mark.parametrize(("field", "value"), [("precision", "float16"), ("layout", "nhwc")])
def test_an_unknown_precision_or_layout_is_rejected(field, value):
    with pytest.raises(ValueError, match=f"{field} must be one of .*, auto, measure, got '{value}'"):
        FCNParams(**{field: value})


def test_an_earlier_candidate_gives_way_only_to_one_clearly_faster():
    first, second = SETTINGS[:2]
    assert compute.fastest({first.name: 1.0, second.name: 0.95}, [first, second]) == first
    assert compute.fastest({first.name: 1.0, second.name: 0.85}, [first, second]) == second


def choose_in_a_process(log: Path) -> str:
    """Choose between the float32 layouts, logging each one prepared to ``log``; the timing takes 0.4 s."""
    def prepare(setting):
        with open(log, "a") as f:
            f.write(f"{setting.name}\n")

        def step():
            time.sleep(0.05)
            return {"float32/channels_last": 2.7, "float32/contiguous": 1.5}[setting.name]
        return step

    candidates = compute.candidate_settings("float32", "measure", torch.device("cpu"))
    return compute.choose_setting(candidates, job={"window": [256, 256]}, device=torch.device("cpu"),
                                  prepare=prepare)[1]["chosen_by"]


def test_candidates_are_timed_in_turns_and_keep_their_quickest_step():
    # a load that rises while the first candidate is timed must not fall on it alone
    calls, load = [], iter([1.0, 1.0, 5.0, 5.0, 2.0, 2.0, 3.0, 3.0])

    def prepare(setting):
        def step():
            calls.append(setting.name)
            return next(load) * {"float32": 1.0, "bfloat16": 0.8}[setting.precision]
        return step

    first, second = compute.ComputeSetting("float32", "channels_last"), compute.ComputeSetting("bfloat16", "contiguous")
    seconds = compute.time_in_turns([first, second], prepare, rounds=3)
    assert calls == [first.name, second.name] * 4  # one warm-up step each, then three rounds in turns
    assert seconds == {first.name: 2.0, second.name: 2.0 * 0.8}


def test_jobs_side_by_side_time_the_settings_once(monkeypatch, tmp_path):
    # jobs timing under each other's load could choose differently, and so compute differently
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        chosen_by = sorted(pool.map(choose_in_a_process, [tmp_path / "timed.log"] * 2))
    assert chosen_by[0] == "timed" and chosen_by[1].startswith("timed before")
    assert sorted((tmp_path / "timed.log").read_text().split()) == ["float32/channels_last", "float32/contiguous"]


def test_the_setting_is_timed_once_per_machine_and_job_then_taken_from_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    timed = []

    def prepare(setting):
        timed.append(setting.name)
        return lambda: {"float32/channels_last": 2.7, "float32/contiguous": 1.5}[setting.name]

    candidates = compute.candidate_settings("float32", "measure", torch.device("cpu"))
    job = {"bands": 4, "window": [256, 256]}
    setting, record = compute.choose_setting(candidates, job=job, device=torch.device("cpu"),
                                             prepare=prepare)
    assert setting.name == "float32/contiguous" and record["chosen_by"] == "timed"
    assert record["hardware"]["threads"] == torch.get_num_threads() and record["hardware"]["capability"]
    again, record = compute.choose_setting(candidates, job=job, device=torch.device("cpu"),
                                           prepare=prepare)
    assert again == setting and record["chosen_by"].startswith("timed before (cached in")
    assert record["seconds_per_step"] == {"float32/channels_last": 2.7, "float32/contiguous": 1.5}
    assert sorted(timed) == ["float32/channels_last", "float32/contiguous"]  # not timed again
    compute.choose_setting(candidates, job={**job, "window": [96, 96]}, device=torch.device("cpu"),
                           prepare=prepare)
    assert len(timed) == 4  # another job shape is timed anew
    assert (tmp_path / "rsseg" / "compute-settings.json").is_file()


def test_the_settings_are_timed_on_the_jobs_own_window(monkeypatch, tmp_path):
    # a smaller window can rank the layouts the other way round (an AVX2 Zen 3: docs/benchmarks.md)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    windows = []

    def timer(setting, *, bands, window, params, device):
        windows.append((bands, window))
        return lambda: {"float32/channels_last": 2.7, "float32/contiguous": 1.5}[setting.name]

    monkeypatch.setattr("rsseg.methods.fcn.training_step_timer", timer)
    setting, record = fcn.compute_setting(FCNParams(precision="float32", layout="measure"), bands=4, window=(512, 300),
                                          device=torch.device("cpu"))
    assert windows == [(4, (512, 300))] * 2 and setting.name == "float32/contiguous"
    assert record["chosen_by"] == "timed" and record["seconds_per_step"]["float32/channels_last"] == 2.7


def test_segment_scene_records_the_setting_it_ran_in_and_the_hardware():
    image, valid, superpixels, _ = tiny_scene()
    params = FCNParams(n_classes=4, width=4, window=48, stride=40, epochs=1, precision="bfloat16")
    _, info = segment_scene(image, valid, superpixels, params, device="cpu", seed=0)
    assert info["dtype"] == "bfloat16" and info["layout"] in compute.LAYOUTS
    assert info["compute_setting"]["chosen_by"] == "auto: the rule of rsseg.compute_rule"  # the layout
    assert info["threads"] == torch.get_num_threads()
    hardware = info["compute_setting"]["hardware"]
    assert hardware["capability"] == torch.backends.cpu.get_cpu_capability() and hardware["torch"] == torch.__version__
    fixed = FCNParams(n_classes=4, width=4, window=48, stride=40, epochs=1, precision="float32", layout="contiguous")
    _, info = segment_scene(image, valid, superpixels, fixed, device="cpu", seed=0)
    assert (info["dtype"], info["layout"], info["compute_setting"]["chosen_by"]) == ("float32", "contiguous", "config")


def test_bfloat16_asked_for_where_it_is_emulated_warns_with_the_measured_factor(monkeypatch, caplog):
    monkeypatch.setattr("rsseg.methods.fcn.bfloat16_is_native", lambda device: False)
    image, valid, superpixels, _ = tiny_scene()
    params = FCNParams(n_classes=4, width=4, window=48, stride=40, epochs=1, precision="bfloat16",
                       layout="contiguous")
    _, info = segment_scene(image, valid, superpixels, params, device="cpu", seed=0)
    assert info["dtype"] == "bfloat16"  # honoured, with a warning
    factor = info["compute_setting"]["bfloat16_emulation_factor"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and factor > 0
    assert f"a training step takes {factor:.0f}x as long as in float32 here" in warnings[0]
    assert "set superpixel_fcn.precision to auto or float32" in warnings[0]

