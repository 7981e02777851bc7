"""How a torch network computes on the machine at hand: its dtype and memory layout.

Which setting is fastest depends on the hardware, not on the data. ``auto`` applies the rule of
:mod:`rsseg.compute_rule` to what torch sees of the device (the workflow resolves it the same way from
``/proc/cpuinfo`` before any job starts and passes the result to its jobs), so two runs on one machine always
compute alike: the labels depend on the setting (docs/benchmarks.md). ``measure`` instead times the settings a
config allows on a few steps of the job's own network on its own window, once per machine, torch version,
thread count and job shape, and caches the fastest in the user's cache folder, so later jobs on that machine
take it without timing. bfloat16 is a candidate only where the hardware computes it natively
(:func:`bfloat16_is_native`); timing an emulated bfloat16 step would take longer than the choice can save.
"""

import contextlib
import fcntl
import json
import logging
import os
import platform
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..compute_rule import AUTO, MEASURE, Capabilities, auto_setting, resolve_setting
from ..files import atomic_path

log = logging.getLogger(__name__)

PRECISIONS = ("float32", "bfloat16")
LAYOUTS = ("channels_last", "contiguous")
CHOICES = (AUTO, MEASURE)
"""Config values that leave the setting to the machine: the rule (``auto``) or a timing (``measure``)."""
PREFERENCE_MARGIN = 0.1
"""A candidate replaces an earlier one only when at least this much faster, so that timing noise between
settings of about equal speed does not make the choice, and with it the results, change between machines of
one kind. The settings that differ at all differ by more (docs/benchmarks.md, "A training step, by precision
and layout")."""
CACHE_FILE = "compute-settings.json"
TIMING_ROUNDS = 2
"""Steps timed per candidate, after one each to warm up (on one AVX2 core about 15 s for the two float32 layouts
on a 512 px window, once per machine and job shape). The candidates take turns, one step each per round, so
a change of the machine's load while they are timed falls on all of them alike; each keeps its quickest step."""


@dataclass(frozen=True)
class ComputeSetting:
    """The dtype (``precision``) and memory layout a network runs in."""

    precision: str
    layout: str

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS or self.layout not in LAYOUTS:
            raise ValueError(f"no compute setting {self.precision}/{self.layout}: precision is one of {PRECISIONS}, "
                             f"layout one of {LAYOUTS}")

    @property
    def dtype(self) -> torch.dtype:
        return torch.bfloat16 if self.precision == "bfloat16" else torch.float32

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.layout == "channels_last" else torch.contiguous_format

    @property
    def name(self) -> str:
        return f"{self.precision}/{self.layout}"


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (``platform.processor()`` is often empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware(device: torch.device) -> dict[str, Any]:
    """What decides which setting is fastest on ``device``, for the run record and the cache key: the CPU's
    model, the instruction set torch's kernels use (``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA`` can
    lower it) and its bfloat16 units, or the GPU's model; torch's version and threads."""
    about: dict[str, Any] = {"device": device.type, "torch": torch.__version__, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        about.update(gpu=torch.cuda.get_device_name(device), compute_capability=f"{major}.{minor}")
    else:
        about.update(cpu=cpu_model(), capability=torch.backends.cpu.get_cpu_capability(),
                     avx512_bf16=torch.cpu._is_avx512_bf16_supported(), amx=torch.cpu._is_amx_tile_supported(),
                     onednn_max_cpu_isa=os.environ.get("ONEDNN_MAX_CPU_ISA", ""))
    return about


def describe_hardware(about: dict[str, Any]) -> str:
    """One line naming what :func:`hardware` found, to print beside a speed figure."""
    if about["device"] == "cuda":
        return f"{about['gpu']} (compute capability {about['compute_capability']}), torch {about['torch']}"
    flags = [flag for flag in ("avx512_bf16", "amx") if about[flag]]
    capped = f", oneDNN capped at {about['onednn_max_cpu_isa']}" if about["onednn_max_cpu_isa"] else ""
    return (f"{about['cpu']}, capability {about['capability']}{capped}, {'+'.join(flags) or 'no avx512_bf16/amx'}, "
            f"{about['threads']} threads, torch {about['torch']}")


def bfloat16_is_native(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 in hardware: a CUDA GPU with native bfloat16 (Ampere and later),
    or a CPU with AVX512-BF16 or AMX whose AVX-512 kernels torch uses. Elsewhere it is emulated, and a
    training step of the FCN takes many times as long as in float32 (docs/benchmarks.md)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    return (device.type == "cpu" and torch.backends.cpu.get_cpu_capability().startswith("AVX512")
            and (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()))


def torch_capabilities(device: torch.device) -> Capabilities:
    """What :mod:`rsseg.compute_rule` decides on, as torch sees ``device``."""
    if device.type == "cuda":
        return Capabilities("cuda", False, bfloat16_is_native(device), torch.cuda.get_device_name(device))
    return Capabilities(device.type, torch.backends.cpu.get_cpu_capability().startswith("AVX512"),
                        bfloat16_is_native(device), cpu_model())


def candidate_settings(precision: str, layout: str, device: torch.device) -> list[ComputeSetting]:
    """The settings a ``precision`` and ``layout`` config allows on ``device``: ``auto`` the rule's choice
    (:mod:`rsseg.compute_rule`), ``measure`` every candidate to time, the rule's choice first (it is kept
    unless another is :data:`PREFERENCE_MARGIN` faster): bfloat16 only where it is native, both layouts."""
    if precision not in (*PRECISIONS, *CHOICES) or layout not in (*LAYOUTS, *CHOICES):
        raise ValueError(f"precision is one of {(*PRECISIONS, *CHOICES)} and layout one of {(*LAYOUTS, *CHOICES)}, "
                         f"got {precision!r} and {layout!r}")
    capabilities = torch_capabilities(device)
    precision, layout = resolve_setting(precision, layout, capabilities)
    rule_precision, rule_layout = auto_setting(capabilities)
    if precision == MEASURE:
        native = ["bfloat16", "float32"] if capabilities.native_bfloat16 else ["float32"]
        precisions = sorted(native, key=lambda p: p != rule_precision)
    else:
        precisions = [precision]
    layouts = sorted(LAYOUTS, key=lambda candidate: candidate != rule_layout) if layout == MEASURE else [layout]
    return [ComputeSetting(p, candidate) for p in precisions for candidate in layouts]


def cache_path() -> Path:
    """``$XDG_CACHE_HOME/rsseg`` (``~/.cache/rsseg`` by default): one cache per user and machine."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "rsseg" / CACHE_FILE


def read_cache(path: Path) -> dict[str, Any]:
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):  # absent, or damaged by hand: measured again
        return {}
    return cached if isinstance(cached, dict) else {}


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (created if needed) for the block; where no lock file can be
    made (a read-only home), the block runs unlocked."""
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a")  # noqa: SIM115 (closed by the with below; only a failed open runs unlocked)
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def fastest(seconds: dict[str, float], candidates: Sequence[ComputeSetting]) -> ComputeSetting:
    """The fastest candidate, an earlier one kept unless a later one is :data:`PREFERENCE_MARGIN` faster."""
    best = candidates[0]
    for candidate in candidates[1:]:
        if seconds[candidate.name] < (1 - PREFERENCE_MARGIN) * seconds[best.name]:
            best = candidate
    return best


StepTimer = Callable[[], float]
"""Runs one step of a prepared network and returns its seconds."""


def time_in_turns(candidates: Sequence[ComputeSetting], prepare: Callable[[ComputeSetting], StepTimer],
                  rounds: int = TIMING_ROUNDS) -> dict[str, float]:
    """The quickest of ``rounds`` steps of each candidate (:data:`TIMING_ROUNDS`), after one to warm up, the
    candidates taking turns; ``prepare`` builds a candidate's network and returns its :data:`StepTimer`."""
    timers = {candidate.name: prepare(candidate) for candidate in candidates}
    for timer in timers.values():
        timer()
    quickest = dict.fromkeys(timers, float("inf"))
    for _ in range(rounds):
        for name, timer in timers.items():
            quickest[name] = min(quickest[name], timer())
    return quickest


def choose_setting(candidates: Sequence[ComputeSetting], *, job: dict[str, Any], device: torch.device,
                   prepare: Callable[[ComputeSetting], StepTimer]) -> tuple[ComputeSetting, dict[str, Any]]:
    """The setting to run in, and the record of how it was chosen.

    One candidate (an explicit setting, or the rule's for ``auto``) is taken as it is. Among several
    (``measure``), the choice cached for this hardware and ``job`` (what else decides the speed: network and
    window sizes) is taken; else they are timed in turns (:func:`time_in_turns`, ``prepare`` building each
    one's network) and the fastest is cached. Jobs running
    side by side take the cache in turn, so only the first times the settings and every job on the machine
    computes alike: results depend on the setting, and timings taken under each other's load could choose
    differently.
    """
    about = hardware(device)
    record: dict[str, Any] = {"hardware": about}
    if len(candidates) == 1:
        return candidates[0], {**record, "chosen_by": "config"}
    key = json.dumps({**about, **job, "candidates": [c.name for c in candidates]}, sort_keys=True)
    path = cache_path()
    with exclusive(path.with_suffix(".lock")):
        entry = read_cache(path).get(key)
        if entry is None:
            seconds = time_in_turns(candidates, prepare)
            choice = fastest(seconds, candidates)
            entry = {"precision": choice.precision, "layout": choice.layout, "seconds_per_step": seconds}
            try:
                with atomic_path(path) as tmp:
                    tmp.write_text(json.dumps({**read_cache(path), key: entry}, indent=1))
            except OSError as err:  # a read-only home: the choice holds for this job only
                log.warning("cannot cache the compute setting in %s (%s)", path, err)
            chosen_by = "timed"
            log.info("timed %s per step: %s; running in %s", ", ".join(c.name for c in candidates),
                     ", ".join(f"{seconds[c.name]:.3f} s" for c in candidates), choice.name)
        else:
            chosen_by = f"timed before (cached in {path})"
    return ComputeSetting(entry["precision"], entry["layout"]), {
        **record, "chosen_by": chosen_by, "seconds_per_step": entry["seconds_per_step"]}
