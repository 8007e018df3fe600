"""Plumbing shared by the commands that do not train (attack, visualize, dream, style transfer / apply, layers).

The config fields these commands share (:class:`InputRunConfig`), which device to use
(``accelerator``), early checks of ``--out``, run directories
(``config.yaml`` first, ``metrics.json`` last, their life recorded), loading an image for a network,
and writing images: single PNGs and titled galleries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dlbox.features.sources import Network

if TYPE_CHECKING:
    from dlbox.optimize_input.loop import OptimizeConfig

ACCELERATORS = ("cpu", "cuda", "mps", "auto")


@dataclass
class InputRunConfig:
    """The fields of every input-optimisation command's config (visualize, dream, style transfer); each adds its own."""

    name: str | None = None  # run name under runs/<task>/
    out: str | None = None  # explicit run directory
    model: str = ""  # run dir | dlbox model | torchvision:NAME
    weights: str | None = None  # torchvision: FILE or "random"
    size: int | None = None  # image side to work at (each command's docstring says which side, and its default)
    accelerator: str = "auto"  # cpu | cuda | mps | auto


def resolve_accelerator(accelerator: str) -> torch.device:
    """``cpu`` | ``cuda`` | ``mps`` | ``auto`` (cuda, else mps, else cpu) -> the device; a missing one is a clear error."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if accelerator == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if accelerator not in ACCELERATORS:
        raise ValueError(f"accelerator {accelerator!r} is not valid; use one of {', '.join(ACCELERATORS)}")
    if (accelerator == "cuda" and not cuda) or (accelerator == "mps" and not mps):
        raise RuntimeError(f"--accelerator {accelerator} was asked for but this machine has no {accelerator.upper()} device; "
                           "use --accelerator cpu or auto")
    return torch.device(accelerator)


def open_network(cfg: InputRunConfig, optimize: OptimizeConfig) -> Network:
    """``cfg.model`` (with ``cfg.weights``) on ``cfg.accelerator``, once ``cfg.out`` and the loop's ``optimize`` settings pass."""
    from dlbox.features.sources import load_network
    from dlbox.optimize_input.loop import validate_config

    network = load_network(cfg.model, cfg.weights, device=resolve_accelerator(cfg.accelerator))
    check_out(cfg.out)
    validate_config(optimize)
    return network


def check_out(out: str | Path | None) -> None:
    """Fail early (before minutes of work) when ``--out`` cannot become the run directory.

    The commands compute first and create their run directory afterwards, so a bad request
    never leaves an incomplete directory behind; this check keeps that order cheap for the user.
    """
    from dlbox.engine.rundir import RunDirError

    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RunDirError(f"--out {path} already exists and is not empty; choose a new directory")


@contextmanager
def start_run(task: str, cfg: Any, name: str | None, out: str | Path | None) -> Iterator[Path]:
    """``with start_run(...) as run_dir:`` a fresh run directory holding ``config.yaml``, whose outcome is
    recorded (:func:`~dlbox.engine.run_record.recorded_run`); the body ends with :func:`finish_run`."""
    from dlbox.config import save_yaml
    from dlbox.engine.run_record import recorded_run

    with recorded_run(task, name, out) as run_dir:
        save_yaml(cfg, run_dir / "config.yaml")
        yield run_dir


def finish_run(run_dir: Path, metrics: Any) -> Path:
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


def to_hwc(image: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` or ``(1, C, H, W)`` in [0, 1] -> ``(H, W, C)`` float array."""
    if image.ndim == 4:
        image = image[0]
    return image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


def save_png(image: torch.Tensor, path: str | Path) -> Path:
    """Write ``(C, H, W)`` (C = 1 or 3) in [0, 1] as an 8-bit PNG."""
    from PIL import Image

    arr = (to_hwc(image) * 255.0 + 0.5).astype(np.uint8)
    Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(path)
    return Path(path)


def save_gallery(images: Sequence[torch.Tensor], titles: Sequence[str], path: str | Path, cols: int = 8) -> Path:
    """A grid of ``(C, H, W)`` images with a title under each (images may differ in size)."""
    from dlbox.plots import plot_image_grid

    arrays = [to_hwc(im) for im in images]
    plot_image_grid(arrays, list(titles), path, cols=max(1, min(cols, len(arrays))))  # type: ignore[arg-type]
    return Path(path)
