"""Seconds of one training step of the superpixel FCN on a 512x512 window, lever by lever.

Each setting trains a fresh ``SuperpixelFCN`` (published sizes: 4 bands, 64 channels, 32 classes) for
``--steps`` steps of the rule's training step (``rsseg.methods.fcn.training_step``: forward, majority vote,
cross-entropy, backward, Adam) on one random window, after ``--warmup`` steps, all in this process
one after the other, so the ratios compare settings under the same load. Levers: the dtype (float32,
bfloat16 autocast), the memory format (contiguous, channels_last), keeping freed memory in the heap
(``rsseg.methods.heap``) and ``torch.compile``. Minor page faults per step are counted too (``ru_minflt``).
Last, what the rule's default (``precision`` and ``layout`` ``auto``) picks on this machine, timed afresh as a
first job would (:mod:`rsseg.methods.compute`), and how far its step is from the fastest of the table.

    .venv/bin/python bench/bench_step.py
    .venv/bin/python bench/bench_step.py --compile   # adds torch.compile in both layouts (a minute of compiling each)
    .venv/bin/python bench/bench_step.py --profile   # where the default's step goes, op by op (torch.profiler)
    # an AVX2 CPU's kernels on an AVX-512 one: torch's and oneDNN's instruction sets held at AVX2
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 .venv/bin/python bench/bench_step.py --dtype float32
"""

import argparse
import contextlib
import resource
import sys
import time
from collections.abc import Callable, Sequence

import torch

from rsseg.methods.compute import describe_hardware, hardware
from rsseg.methods.device import seed_everything
from rsseg.methods.fcn import FCNParams, SuperpixelFCN, compute_setting, training_step
from rsseg.methods.heap import retained_heap

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
MEMORY_FORMATS = (torch.contiguous_format, torch.channels_last)


def prepared_step(dtype: torch.dtype, memory_format: torch.memory_format, compiled: bool = False, window: int = 512
                  ) -> Callable[[], None]:
    """One training step of a fresh network (published sizes) on a random window, as a function."""
    seed_everything(0)  # as the rule: deterministic algorithms
    model = SuperpixelFCN(4, 32, 64).to(memory_format=memory_format)
    if compiled:
        model.compile()  # torch.compile of its forward, in place
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(1, 4, window, window).contiguous(memory_format=memory_format)
    valid = torch.ones(1, window, window, dtype=torch.bool)
    superpixels = torch.randint(0, 700, (1, window, window))

    def step() -> None:
        training_step(model, optimiser, x, valid, superpixels, n_classes=32, dtype=dtype)

    return step


def time_steps(dtype: torch.dtype, memory_format: torch.memory_format, heap: bool, compiled: bool, steps: int,
               warmup: int, window: int = 512) -> tuple[float, float]:
    """Mean seconds and minor page faults of a training step with these settings."""
    step = prepared_step(dtype, memory_format, compiled, window)
    with retained_heap() if heap else contextlib.nullcontext():
        for _ in range(warmup):
            step()
        faults_before, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
        for _ in range(steps):
            step()
        seconds = (time.perf_counter() - start) / steps
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / steps
    return seconds, faults


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the network")
    parser.add_argument("--dtype", nargs="+", choices=list(DTYPES), default=list(DTYPES),
                        help="dtypes to time (default: both; bfloat16 takes many times as long where it is emulated)")
    parser.add_argument("--window", type=int, default=512, help="side of the window in px (default: %(default)s)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the table: profile --steps steps of the rule's default setting op by op")
    args = parser.parse_args(argv)
    if args.profile:
        profile_default(args.steps, args.warmup, args.window)
        return 0
    dtypes = [DTYPES[name] for name in args.dtype]
    settings = [(dtype, fmt, heap, False) for dtype in dtypes
                for fmt in MEMORY_FORMATS for heap in (False, True)]
    if args.compile:
        settings += [(dtype, fmt, True, True) for dtype in dtypes for fmt in MEMORY_FORMATS]
    print(f"{describe_hardware(hardware(torch.device('cpu')))}; {args.window} px windows, {args.steps} steps after "
          f"{args.warmup}")
    print(f"{'dtype':<9} {'layout':<15} {'heap':<9} {'compile':<7} {'s/step':>7} {'faults/step':>11} {'speed-up':>8}")
    baseline, timed = None, {}
    for dtype, fmt, heap, compiled in settings:
        seconds, faults = time_steps(dtype, fmt, heap, compiled, args.steps, args.warmup, args.window)
        baseline = baseline or seconds
        layout = "channels_last" if fmt == torch.channels_last else "contiguous"
        name = f"{str(dtype).removeprefix('torch.')}/{layout}"
        if heap and not compiled:
            timed[name] = seconds
        print(f"{str(dtype).removeprefix('torch.'):<9} {layout:<15} {'retained' if heap else 'default':<9} "
              f"{'yes' if compiled else 'no':<7} {seconds:7.3f} {faults:11.0f} {baseline / seconds:7.2f}x", flush=True)
    report_default_choice(timed, args.window)
    return 0


def report_default_choice(timed: dict[str, float], window: int) -> None:
    """What the rule's default (precision and layout ``auto``: the rule of :mod:`rsseg.compute_rule`) runs in here,
    and how its step compares with the fastest of the table."""
    setting, _ = compute_setting(FCNParams(window=window), bands=4, window=(window, window), device=torch.device("cpu"))
    print(f"the rule's default (auto) runs in {setting.name} here")
    if setting.name in timed:
        best = min(timed, key=timed.__getitem__)
        print(f"its step here: {timed[setting.name]:.3f} s; the fastest, {best}: {timed[best]:.3f} s "
              f"({timed[setting.name] / timed[best] - 1:+.1%})")


# The CPU ops whose own (self) time is convolution work: oneDNN's, and torch's for the 1x1 head.
CONVOLUTIONS = ("aten::mkldnn_convolution", "aten::convolution_backward", "aten::_slow_conv2d_forward",
                "aten::_slow_conv2d_backward")


def profile_default(steps: int, warmup: int, window: int) -> None:
    """The share of each op in the self time of ``steps`` steps in the rule's default setting, and the
    convolutions' float32 or bfloat16 throughput: the profiler counts forward FLOPs; a backward pass computes
    weight and input gradients, twice the forward's."""
    setting, _ = compute_setting(FCNParams(window=window), bands=4, window=(window, window), device=torch.device("cpu"))
    step = prepared_step(setting.dtype, setting.memory_format, window=window)
    with retained_heap():
        for _ in range(warmup):
            step()
        start = time.perf_counter()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
            for _ in range(steps):
                step()
        seconds = (time.perf_counter() - start) / steps
    averages = prof.key_averages()
    ops = [op for op in averages if op.self_cpu_time_total > 0]
    total = sum(op.self_cpu_time_total for op in ops)
    print(f"{describe_hardware(hardware(torch.device('cpu')))}; {setting.name}, {window} px, {steps} steps after "
          f"{warmup}: {seconds:.3f} s a step under the profiler")
    print(f"{'op':<40} {'share':>6} {'calls/step':>10}")
    for op in sorted(ops, key=lambda op: -op.self_cpu_time_total)[:15]:
        print(f"{op.key:<40} {op.self_cpu_time_total / total:6.1%} {op.count / steps:10.1f}")
    forward_flops = sum(op.flops for op in averages if op.key == "aten::conv2d")  # counted only there
    conv_seconds = sum(op.self_cpu_time_total for op in ops if op.key in CONVOLUTIONS) / 1e6
    if conv_seconds:
        print(f"convolutions: {conv_seconds / steps:.2f} s a step ({conv_seconds * 1e6 / total:.0%} of it), "
              f"{3 * forward_flops / steps / 1e9:.1f} GFLOP a step (forward x 3), "
              f"{3 * forward_flops / conv_seconds / 1e9:.1f} GFLOP/s in them, "
              f"{3 * forward_flops / steps / seconds / 1e9:.1f} GFLOP/s over the whole step")


if __name__ == "__main__":
    sys.exit(main())
