"""Run-directory plumbing shared by the input-optimisation commands (visualize, dream, style transfer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlbox.features.sources import Network


def resolve_device(device: str) -> torch.device:
    """``auto`` -> cuda when available, else cpu; anything else as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto") from None


def check_out(out: str | Path | None) -> None:
    """Fail early (before minutes of optimisation) when ``--out`` cannot become the run directory.

    The commands compute first and create their run directory afterwards, so a bad request
    never leaves an incomplete directory behind; this check keeps that order cheap for the user.
    """
    from dlbox.engine.rundir import RunDirError

    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RunDirError(f"--out {path} already exists and is not empty; choose a new directory")


def start_run(task: str, cfg: Any, name: str | None, out: str | Path | None) -> Path:
    """A fresh run directory holding ``config.yaml``."""
    from dlbox.config import save_yaml
    from dlbox.engine.rundir import new_run_dir

    run_dir = new_run_dir(task, name, out)
    save_yaml(cfg, run_dir / "config.yaml")
    return run_dir


def finish_run(run_dir: Path, metrics: dict[str, Any]) -> Path:
    """Write ``metrics.json`` (last: it marks the run complete)."""
    from dlbox.engine.rundir import write_json

    write_json(run_dir / "metrics.json", metrics)
    return run_dir


def network_image(network: Network, spec: str, size: int | None = None) -> torch.Tensor:
    """``spec`` loaded for ``network``: its channel count; its own input size when it has one (unless
    ``size`` is given: then the longer side becomes ``size``), else the image's size capped by ``size``."""
    from dlbox.data.samples import load_image

    if size is not None and size < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    if network.image_size is not None and size is None:
        return load_image(spec, network.in_channels, size=network.image_size)
    return load_image(spec, network.in_channels, max_side=size)


def square(network: Network, size: int | None) -> tuple[int, int]:
    """The image size to synthesise: ``size x size``, or the network's own input size (224 for torchvision)."""
    if size is not None:
        if size < 1:
            raise ValueError(f"size must be a positive number of pixels, got {size}")
        return size, size
    return network.default_size
