"""Choosing the torch device from the config value ``auto``, ``cpu`` or ``cuda``."""

import torch
import torch.utils.deterministic

from ..errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(choice: str = "auto") -> torch.device:
    """Return the ``torch.device`` for a config value; ``cuda`` without a GPU is an error, not a fallback."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, got {choice!r}")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda, but torch sees no CUDA GPU on this machine (set device: cpu or auto, "
                          "or run the job where there is a GPU)")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def job_device(choice: str, threads: int) -> torch.device:
    """The device of a rule's job (:func:`resolve_device`), with torch's CPU kernels on the job's ``threads``.

    torch starts one thread per core it may use, whatever Snakemake granted the job, so jobs run side by
    side (``snakemake --cores 8`` with 2-thread jobs) would each start 8 threads and crowd each other.
    """
    torch.set_num_threads(threads)
    return resolve_device(choice)


def seed_everything(seed: int) -> None:
    """Seed torch and make CPU results bit-identical for the same seed, precision, layout and thread count."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also fills every new tensor with NaN, a debugging aid that spots kernels reading
    # memory they never wrote; no result depends on it, and it costs time at every FCN training step (over
    # 300 fills of up to 64 MB each).
    torch.utils.deterministic.fill_uninitialized_memory = False  # type: ignore[attr-defined]  # set, not declared
