"""Walking between two latent codes and decoding along the way (``dlbox generate interpolate``).

Smooth paths of images show that nearby codes decode to similar images (notes 4.1.1). The ends are:

- ``vae``: the codes ``mu(X)`` of two test images (decoder means along the path);
- ``flow``: ``z = f(logit(y))`` of two test images (``y`` the centres of their pixels' bins), inverted exactly;
- ``gan``: two prior draws ``z``;
- ``diffusion``: two starting noises ``x_T``, each point decoded by deterministic DDIM (``eta = 0``).

Paths are spherical (:func:`~dlbox.generative.latent_interpolation.slerp`, suited to Gaussian codes) or linear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.generative.ddim import ddim_step, ddim_timesteps
from dlbox.generative.dequantize import quantize, to_levels
from dlbox.generative.diffusion_loss import from_diffusion_range
from dlbox.generative.flow_loss import inverse_logit_transform, logit_transform
from dlbox.generative.latent_interpolation import lerp, slerp
from dlbox.generative.noise_schedule import NoiseSchedule
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.diffusion_step import noise_schedule

METHODS = {"slerp": slerp, "lerp": lerp}


@torch.no_grad()
def interpolations(model: nn.Module, options: GenerateOptions, test_images: torch.Tensor, levels: int, pairs: int = 4,
                   steps: int = 8, method: str = "slerp", seed: int = 0) -> torch.Tensor:
    """``(pairs, steps, C, H, W)`` images in [0, 1] along paths between latent codes (ends as in the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"interpolation method {method!r} is not valid; choose from {', '.join(METHODS)}")
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    path = METHODS[method]
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    kind = options.kind
    if kind in ("vae", "flow"):
        if len(test_images) < 2:
            raise ValueError("interpolating between test images needs at least 2 of them")
        pick = torch.randperm(len(test_images), generator=gen)[: 2 * pairs]
        pick = pick.repeat(-(-2 * pairs // len(pick)))[: 2 * pairs]  # fewer images than ends: reuse them
        ends = _encode(model, kind, test_images[pick].to(device), levels)  # (2 pairs, ...)
    elif kind == "gan":
        ends = torch.randn(2 * pairs, model.latent_dim, generator=gen).to(device)
    else:
        ends = torch.randn(2 * pairs, *test_images.shape[1:], generator=gen).to(device)
    codes = torch.stack([path(ends[2 * i], ends[2 * i + 1], steps) for i in range(pairs)])  # (pairs, steps, ...)
    flat = codes.flatten(0, 1)  # (pairs * steps, ...)
    images = _decode(model, options, flat, levels)
    return images.view(pairs, steps, *images.shape[1:])


def _encode(model: nn.Module, kind: str, x: torch.Tensor, levels: int) -> torch.Tensor:
    if kind == "vae":
        return model.encode(x)[0]  # mu(X): (N, latent_dim)
    y = (to_levels(x, levels).to(x.dtype) + 0.5) / levels  # the centre of each pixel's bin
    return model(logit_transform(y)[0])[0]  # z = f(logit(y)): (N, C, H, W)


def _decode(model: nn.Module, options: GenerateOptions, codes: torch.Tensor, levels: int) -> torch.Tensor:
    kind = options.kind
    if kind == "vae":
        return model.decode(codes)[0]
    if kind == "gan":
        return model.generator(codes)
    if kind == "flow":
        return quantize(inverse_logit_transform(model.inverse(codes)).clamp(0, 1), levels)
    return from_diffusion_range(ddim_from(model, noise_schedule(options, codes.device), codes, options.ddim_steps))


def ddim_from(model: nn.Module, schedule: NoiseSchedule, x_t: torch.Tensor, num_steps: int) -> torch.Tensor:
    """Deterministic DDIM (``eta = 0``) from the given ``x_T`` ``(B, C, H, W)`` to ``x_0`` in [-1, 1]."""
    steps = ddim_timesteps(schedule.num_timesteps, num_steps)
    x = x_t
    for t, t_prev in zip(steps, steps[1:] + [-1]):
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        x = ddim_step(schedule, eps, x, t, t_prev, 0.0, None)
    return x


def save_interpolations(images: torch.Tensor, path: Path, method: str = "slerp") -> None:
    """One row per path, its ends at the left and right edge; ``images`` ``(pairs, steps, C, H, W)``."""
    from dlbox.plots import plot_image_grid

    pairs, steps = images.shape[:2]
    tiles = images.flatten(0, 1).float().cpu().clamp(0, 1).permute(0, 2, 3, 1).numpy()  # (pairs * steps, H, W, C)
    titles = [f"{method} w={j / (steps - 1):.2f}" if i == 0 else "" for i in range(pairs) for j in range(steps)]
    plot_image_grid(tiles, titles, path, cols=steps)


def interpolate_run(run: str | Path, pairs: int = 4, steps: int | None = None, method: str = "slerp", seed: int = 0,
                    out: str | Path | None = None, device: str = "cpu") -> tuple[Path, dict[str, Any]]:
    """``interpolations.png`` of a finished generate run, in ``out`` (default: a new ``runs/generate-interpolate/`` directory)."""
    from dlbox.engine.run_record import recorded_run
    from dlbox.engine.rundir import write_json
    from dlbox.tasks.generate.saved import load_generate_run

    saved = load_generate_run(run, device)
    steps = steps or saved.options.interpolation_steps
    images = interpolations(saved.model, saved.options, saved.bundle.test["image"], saved.levels, pairs, steps, method, seed)
    with recorded_run("generate-interpolate", None, out) as out_dir:
        save_interpolations(images, out_dir / "interpolations.png", method)
        info = {"run": str(run), "kind": saved.options.kind, "pairs": pairs, "steps": steps, "method": method, "seed": seed}
        write_json(out_dir / "metrics.json", info)
        return out_dir, info
