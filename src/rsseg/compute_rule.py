"""The dtype and memory layout ``auto`` stands for on a machine: a fixed rule from what its CPU or GPU computes
natively, so that two runs on one machine always compute alike. Standard library only: the workflow's own
process resolves the setting before any job runs and passes it to the jobs as a parameter, so a changed
setting reruns them.

The rule follows what was measured (docs/benchmarks.md, "A training step, by precision and layout"): a
training step of the superpixel FCN is fastest in bfloat16 and channels_last where the CPU has AVX-512 and
computes bfloat16 in hardware (AVX512-BF16 or AMX), in float32 and channels_last on other AVX-512 CPUs, and
in float32 and the contiguous layout on AVX2 CPUs. On a CUDA GPU it is float32 and channels_last: on an H200
at the published batch of one window a step is bound by kernel launches, not arithmetic, and bfloat16 saved
nothing (docs/benchmarks.md, "GPU"), so the paper's arithmetic costs nothing there. config/README.md gives the
rule as a table.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

AUTO = "auto"
MEASURE = "measure"
"""Time the candidate settings on the job's own window instead of applying the rule (rsseg.methods.compute)."""

AVX512_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512dq")
"""The CPU flags torch's AVX-512 kernels need (its ``AVX512`` capability)."""
NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
LOWER_ISA_PREFIXES = ("avx2", "avx", "sse", "default")
"""``ATEN_CPU_CAPABILITY`` / ``ONEDNN_MAX_CPU_ISA`` values that hold torch's kernels below AVX-512."""
BFLOAT16_CUDA_MAJOR = 8


@dataclass(frozen=True)
class Capabilities:
    """What decides the setting: the device type, whether torch's CPU kernels use AVX-512, whether bfloat16 is
    computed in hardware, and a name for the run record."""

    device: str
    avx512: bool
    native_bfloat16: bool
    name: str


def auto_setting(capabilities: Capabilities) -> tuple[str, str]:
    """``(precision, layout)`` of the rule for these capabilities."""
    if capabilities.device == "cuda":
        return "float32", "channels_last"
    if capabilities.avx512:
        return ("bfloat16" if capabilities.native_bfloat16 else "float32"), "channels_last"
    return "float32", "contiguous"


def cpu_capabilities(cpuinfo: str | None = None, environ: dict[str, str] | None = None) -> Capabilities:
    """The capabilities of this machine's CPU from ``/proc/cpuinfo`` (or the text given), with torch's and
    oneDNN's instruction set held below AVX-512 where ``ATEN_CPU_CAPABILITY`` or ``ONEDNN_MAX_CPU_ISA`` says so."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: no AVX-512 assumed, the setting every CPU computes well
            cpuinfo = ""
    environ = dict(os.environ) if environ is None else environ
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if not line.strip():
            break  # the first processor's block: every core of a machine has the same flags
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    held_low = any(environ.get(name, "").lower().startswith(LOWER_ISA_PREFIXES)
                   for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"))
    avx512 = all(flag in flags for flag in AVX512_FLAGS) and not held_low
    native = avx512 and any(flag in flags for flag in NATIVE_BFLOAT16_FLAGS)
    return Capabilities("cpu", avx512, native, fields.get("model name", "unknown CPU"))


def cuda_capabilities() -> Capabilities | None:
    """The first GPU's capabilities from ``nvidia-smi``; None where there is no NVIDIA driver."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        answer = subprocess.run(["nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=30, check=True).stdout
        name, _, compute_cap = answer.splitlines()[0].rpartition(",")
        major = int(compute_cap.strip().partition(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    return Capabilities("cuda", False, major >= BFLOAT16_CUDA_MAJOR, name.strip())


UNSEEN_GPU = Capabilities("cuda", False, False, "a CUDA GPU nvidia-smi does not show here")
"""A GPU the machine that runs Snakemake cannot see (a cluster's login node): it gets the GPUs' setting, not
that machine's CPU's."""


def machine_capabilities(device: str) -> Capabilities:
    """The capabilities a job for ``device`` (``auto``, ``cpu`` or ``cuda``) runs with: this machine's GPU where
    ``cuda``, or ``auto`` and a GPU is present; :data:`UNSEEN_GPU` for ``cuda`` where none is visible; else
    this machine's CPU."""
    if device != "cpu":
        gpu = cuda_capabilities()
        if gpu is not None:
            return gpu
        if device == "cuda":
            return UNSEEN_GPU
    return cpu_capabilities()


def resolve_setting(precision: str, layout: str, capabilities: Capabilities) -> tuple[str, str]:
    """``precision`` and ``layout`` with ``auto`` replaced by the rule's choice; ``measure`` and explicit values
    are kept."""
    rule_precision, rule_layout = auto_setting(capabilities)
    return (rule_precision if precision == AUTO else precision, rule_layout if layout == AUTO else layout)
