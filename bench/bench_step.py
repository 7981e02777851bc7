"""Seconds of one training step of the superpixel FCN on a 512x512 window, lever by lever.

Each setting trains a fresh ``SuperpixelFCN`` (published sizes: 4 bands, 64 channels, 32 classes) for
``--steps`` steps of the rule's training step (``rsseg.methods.fcn.training_step``: forward, majority vote,
cross-entropy, backward, Adam) on one random window, after ``--warmup`` steps, all in this process
one after the other, so the ratios compare settings under the same load. Levers: the dtype (float32,
bfloat16 autocast), the memory format (contiguous, channels_last), keeping freed memory in the heap
(``rsseg.methods.heap``) and ``torch.compile``. Minor page faults per step are counted too (``ru_minflt``).

    .venv/bin/python bench/bench_step.py
    .venv/bin/python bench/bench_step.py --compile   # adds torch.compile (a minute of compiling per setting)
"""

import argparse
import contextlib
import resource
import sys
import time

import torch

from rsseg.methods.compute import describe_hardware, hardware
from rsseg.methods.device import seed_everything
from rsseg.methods.fcn import SuperpixelFCN, training_step
from rsseg.methods.heap import retained_heap


def time_steps(dtype, memory_format, heap, compiled, steps, warmup):
    """Mean seconds and minor page faults of a training step with these settings."""
    seed_everything(0)  # as the rule: deterministic algorithms
    model = SuperpixelFCN(4, 32, 64).to(memory_format=memory_format)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    forward = torch.compile(model) if compiled else model
    x = torch.randn(1, 4, 512, 512).contiguous(memory_format=memory_format)
    valid = torch.ones(1, 512, 512, dtype=torch.bool)
    superpixels = torch.randint(0, 700, (1, 512, 512))

    def step():
        training_step(forward, optimiser, x, valid, superpixels, n_classes=32, dtype=dtype)

    with retained_heap() if heap else contextlib.nullcontext():
        for _ in range(warmup):
            step()
        faults, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
        for _ in range(steps):
            step()
        seconds = (time.perf_counter() - start) / steps
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    return seconds, faults


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the network")
    args = parser.parse_args(argv)
    settings = [(dtype, fmt, heap, False) for dtype in (torch.float32, torch.bfloat16)
                for fmt in (torch.contiguous_format, torch.channels_last) for heap in (False, True)]
    if args.compile:
        settings += [(dtype, torch.channels_last, True, True) for dtype in (torch.float32, torch.bfloat16)]
    print(f"{describe_hardware(hardware(torch.device('cpu')))}; {args.steps} steps after {args.warmup}")
    print(f"{'dtype':<9} {'layout':<15} {'heap':<9} {'compile':<7} {'s/step':>7} {'faults/step':>11} {'speed-up':>8}")
    baseline = None
    for dtype, fmt, heap, compiled in settings:
        seconds, faults = time_steps(dtype, fmt, heap, compiled, args.steps, args.warmup)
        baseline = baseline or seconds
        layout = "channels_last" if fmt == torch.channels_last else "contiguous"
        print(f"{str(dtype).removeprefix('torch.'):<9} {layout:<15} {'retained' if heap else 'default':<9} "
              f"{'yes' if compiled else 'no':<7} {seconds:7.3f} {faults:11.0f} {baseline / seconds:7.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
