"""The rule ``auto`` stands for: read from the CPU's flags by the workflow, from torch by the jobs, the same."""

import pytest
import torch

from rsseg.compute_rule import Capabilities, auto_setting, cpu_capabilities, machine_capabilities, resolve_setting
from rsseg.methods.compute import torch_capabilities

AVX2 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma f16c bmi2"
AVX512 = AVX2 + " avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni"


def cpuinfo(flags: str, model: str = "Test CPU") -> str:
    """Two processors' blocks of /proc/cpuinfo; the rule reads the first."""
    block = f"processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n"
    return f"{block}\n{block.replace(': 0', ': 1')}\n"


@pytest.mark.parametrize(("flags", "expected"), [
    (AVX2, ("float32", "contiguous")),  # AMD Zen 1-3: channels_last and emulated bfloat16 are slower
    (AVX512, ("float32", "channels_last")),  # Intel Skylake-SP: AVX-512 without bfloat16 units
    (AVX512 + " avx512_bf16", ("bfloat16", "channels_last")),  # AMD Zen 4/5
    (AVX512 + " avx512_bf16 amx_tile amx_bf16 amx_int8", ("bfloat16", "channels_last")),  # Sapphire Rapids
    (AVX2 + " avx512f avx512_bf16", ("float32", "contiguous")),  # no avx512bw/vl/dq: torch stays at AVX2
])
def test_the_rule_from_the_cpus_flags(flags, expected):
    capabilities = cpu_capabilities(cpuinfo(flags, "AMD EPYC"), environ={})
    assert capabilities.name == "AMD EPYC"
    assert auto_setting(capabilities) == expected


@pytest.mark.parametrize("variable", ["ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"])
def test_kernels_held_below_avx512_take_the_avx2_setting(variable):
    capabilities = cpu_capabilities(cpuinfo(AVX512 + " avx512_bf16"), environ={variable: "AVX2"})
    assert auto_setting(capabilities) == ("float32", "contiguous")


def test_a_gpu_runs_float32_and_channels_last_even_where_it_computes_bfloat16():
    assert auto_setting(Capabilities("cuda", False, True, "NVIDIA H200")) == ("float32", "channels_last")
    assert auto_setting(Capabilities("cuda", False, False, "Tesla V100")) == ("float32", "channels_last")


def test_only_auto_is_resolved():
    avx2 = Capabilities("cpu", False, False, "x")
    assert resolve_setting("auto", "auto", avx2) == ("float32", "contiguous")
    assert resolve_setting("bfloat16", "auto", avx2) == ("bfloat16", "contiguous")
    assert resolve_setting("measure", "channels_last", avx2) == ("measure", "channels_last")


def test_the_workflow_and_the_jobs_resolve_auto_alike_on_this_machine():
    # the workflow reads /proc/cpuinfo before any job; the job's torch must compute what it was told is best
    assert auto_setting(cpu_capabilities()) == auto_setting(torch_capabilities(torch.device("cpu")))


def test_a_gpu_the_submitting_machine_cannot_see_runs_what_every_gpu_runs(monkeypatch):
    # a cluster's login node without nvidia-smi: device cuda must not take the login node's CPU setting
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert auto_setting(machine_capabilities("cuda")) == ("float32", "channels_last")
    assert machine_capabilities("auto") == machine_capabilities("cpu") == cpu_capabilities()
