import hashlib
import re
import socket

import pytest
import torch

from checkpoint_fixtures import write_random_clip, write_random_realesrgan, write_random_sam
from rsseg.errors import InputError
from rsseg.isagrsc2.weights import KNOWN_CHECKPOINTS, install_checkpoint, load_clip, load_realesrgan, load_sam

SHA_OF_HELLO = hashlib.sha256(b"hello").hexdigest()


@pytest.fixture(scope="module")
def sam_file(tmp_path_factory):
    return write_random_sam(tmp_path_factory.mktemp("sam") / "sam_vit_b.pth")


def test_known_checkpoints_are_the_publishers_files_with_full_sha256():
    sam_b = KNOWN_CHECKPOINTS["sam_vit_b"]
    assert sam_b.url == "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
    assert sam_b.sha256 == "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912"
    clip = KNOWN_CHECKPOINTS["clip_vit_b_32_openai"]
    assert clip.sha256 in clip.url  # OpenAI's URL carries the hash it is checked against
    assert {c.kind for c in KNOWN_CHECKPOINTS.values()} == {"sam", "realesrgan", "clip"}
    assert all(re.fullmatch("[0-9a-f]{64}", c.sha256) for c in KNOWN_CHECKPOINTS.values())


def test_missing_local_file_names_it_its_sha256_and_where_to_put_it(tmp_path):
    local = tmp_path / "manual" / "sam_vit_b_01ec64.pth"
    url = KNOWN_CHECKPOINTS["sam_vit_b"].url
    with pytest.raises(InputError) as err:
        install_checkpoint(tmp_path / "out.pth", name="sam", url=url, sha256=SHA_OF_HELLO, local_path=local)
    message = str(err.value)
    assert message.startswith(f"{local}: does not exist (configured as weights.sam.path)")
    assert SHA_OF_HELLO in message and url in message and "\n" not in message
    assert not (tmp_path / "out.pth").exists()


def test_local_file_with_the_wrong_checksum_is_rejected(tmp_path):
    local = tmp_path / "ckpt.pth"
    local.write_bytes(b"not hello")
    with pytest.raises(InputError, match=rf"ckpt\.pth: sha256 mismatch: expected {SHA_OF_HELLO}"):
        install_checkpoint(tmp_path / "out.pth", name="sam", url="https://example.invalid/ckpt.pth",
                           sha256=SHA_OF_HELLO, local_path=local)
    assert not (tmp_path / "out.pth").exists()


def test_verified_local_file_is_installed_at_dest(tmp_path):
    local = tmp_path / "ckpt.pth"
    local.write_bytes(b"hello")
    dest = install_checkpoint(tmp_path / "w" / "x.pth", name="sam", url="https://example.invalid/ckpt.pth",
                              sha256=SHA_OF_HELLO, local_path=local)
    assert dest.read_bytes() == b"hello" and local.read_bytes() == b"hello"
    with pytest.raises(InputError, match="must not be the installed copy"):
        install_checkpoint(dest, name="sam", url="https://example.invalid/ckpt.pth", sha256=SHA_OF_HELLO,
                           local_path=dest)
    assert dest.read_bytes() == b"hello"


def test_failed_download_says_url_sha256_and_how_to_supply_the_file(tmp_path):
    url = (tmp_path / "absent" / "RealESRGAN_x4plus.pth").as_uri()
    with pytest.raises(InputError) as err:
        install_checkpoint(tmp_path / "w" / "realesrgan.pth", name="realesrgan", url=url, sha256=SHA_OF_HELLO)
    message = str(err.value)
    assert f"cannot download {url}" in message and f"expected sha256 {SHA_OF_HELLO}" in message
    assert f"place the file at {tmp_path / 'w' / 'manual' / 'RealESRGAN_x4plus.pth'}" in message
    assert "set weights.realesrgan.path in config/config.yaml" in message and "\n" not in message


def test_downloaded_file_is_checked_against_sha256(tmp_path):
    (tmp_path / "good.pth").write_bytes(b"hello")
    dest = install_checkpoint(tmp_path / "w.pth", name="sam", url=(tmp_path / "good.pth").as_uri(), sha256=SHA_OF_HELLO)
    assert dest.read_bytes() == b"hello"
    with pytest.raises(InputError, match="sha256 mismatch"):
        install_checkpoint(tmp_path / "w2.pth", name="sam", url=(tmp_path / "good.pth").as_uri(), sha256="0" * 64)


def test_random_realesrgan_x4plus_file_is_detected_by_spandrel_as_esrgan_x4(tmp_path):
    path = write_random_realesrgan(tmp_path / "RealESRGAN_x4plus.pth", seed=3)
    saved = torch.load(path)["params_ema"]
    assert {"conv_first.weight", "body.22.rdb3.conv5.bias", "conv_body.weight", "conv_up2.weight",
            "conv_hr.weight", "conv_last.bias"} <= set(saved)
    model = load_realesrgan(path, "cpu")
    assert (model.architecture.id, model.scale, model.tags) == ("ESRGAN", 4, ["64nf", "23nb"])
    # every published weight lands in the network, not just a compatible shape
    loaded = model.model.state_dict()
    assert torch.equal(loaded["model.0.weight"], saved["conv_first.weight"].float())
    assert torch.equal(loaded["model.1.sub.22.RDB3.conv5.0.bias"], saved["body.22.rdb3.conv5.bias"].float())
    assert torch.equal(loaded["model.10.bias"], saved["conv_last.bias"].float())


def test_sam_file_given_as_upscaler_is_an_input_error_naming_it(sam_file):
    with pytest.raises(InputError, match=rf"^{sam_file}: is not a Real-ESRGAN x4 checkpoint"):
        load_realesrgan(sam_file, "cpu")


def test_other_files_given_as_sam_are_input_errors_naming_them(tmp_path, sam_file):
    esrgan = write_random_realesrgan(tmp_path / "esrgan.pth", num_feat=8, num_block=1)
    with pytest.raises(InputError, match=rf"^{esrgan}: is not a SAM vit_b checkpoint \(.*Missing key"):
        load_sam(esrgan, "vit_b", "cpu")
    with pytest.raises(InputError, match=r"is not a SAM vit_l checkpoint \(.*state_dict for Sam"):
        load_sam(sam_file, "vit_l", "cpu")


def test_sam_file_given_as_clip_is_an_input_error_naming_it(sam_file):
    with pytest.raises(InputError, match=rf"^{sam_file}: is not a CLIP ViT-B-32 checkpoint \(.*Missing key"):
        load_clip(sam_file, "ViT-B-32", "cpu")


def test_other_upscaler_scale_is_named_in_the_error(tmp_path):
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.save(ESRGAN(num_filters=8, num_blocks=1, scale=2).state_dict(), tmp_path / "x2.pth")
    with pytest.raises(InputError, match=r"x2\.pth: is a ESRGAN x2 model, expected Real-ESRGAN x4"):
        load_realesrgan(tmp_path / "x2.pth", "cpu")


def test_random_sam_vit_b_loads_through_segment_anything(sam_file):
    sam = load_sam(sam_file, "vit_b", "cpu")
    saved = torch.load(sam_file)
    assert sam.image_encoder.patch_embed.proj.weight.dtype == torch.float32
    assert torch.equal(sam.mask_decoder.iou_token.weight, saved["mask_decoder.iou_token.weight"].float())


def test_torchscript_archive_reaches_open_clip_state_dict_loading(tmp_path):
    # OpenAI's CLIP files are TorchScript; torch.load refuses those under weights_only, so the loader
    # must get past torch.load and fail (for this stand-in) only on the keys
    torch.jit.script(torch.nn.Linear(2, 2)).save(tmp_path / "jit.pt")
    with pytest.raises(InputError, match=r"jit\.pt: is not a CLIP ViT-B-32-quickgelu checkpoint \(.*Missing key"):
        load_clip(tmp_path / "jit.pt", "ViT-B-32-quickgelu", "cpu")


def test_loaders_name_a_missing_checkpoint(tmp_path):
    for load in (lambda p: load_realesrgan(p, "cpu"), lambda p: load_sam(p, "vit_b", "cpu"),
                 lambda p: load_clip(p, "ViT-B-32", "cpu")):
        with pytest.raises(InputError, match=r"absent\.pth: does not exist"):
            load(tmp_path / "absent.pth")


def test_random_clip_loads_with_its_tokenizer_without_network(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    path = write_random_clip(tmp_path / "clip.pth", "ViT-B-32")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    model, preprocess, tokenizer = load_clip(path, "ViT-B-32-quickgelu", "cpu")
    tokens = tokenizer(["a field of wheat", "a river"])
    with torch.no_grad():
        text = model.encode_text(tokens)
        image = model.encode_image(torch.zeros(1, 3, 224, 224))
    assert tokens.shape == (2, 77) and text.shape == (2, 512) and image.shape == (1, 512)
    assert not model.training and preprocess.transforms[0].size == 224
