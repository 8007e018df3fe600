"""Feature inversion, the notes' generative approach (3.9.1).

Given an image x_hat, find an image x whose representation at layer l matches:

    argmin_x  l(Theta_l(x), Theta_l(x_hat)) + lambda R(x)

with ``l`` the squared feature distance relative to ``||Theta_l(x_hat)||^2``
(so layers of different scale are comparable) and ``R`` the loop's L2 /
total-variation / blur regularisers. Starting from noise, the reconstruction
shows what layer l keeps of the image: early layers keep nearly everything,
deep layers only what matters for the task.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dlbox.features.sources import Network
from dlbox.optimize_input.loop import OptimizeConfig, OptimizeResult, optimize_image
from dlbox.optimize_input.parameterization import make_param


@dataclass
class Inversion:
    layer: str
    image: torch.Tensor  # (C, H, W) reconstruction in [0, 1]
    feature_error: float  # ||Theta(x) - Theta(x_hat)|| / ||Theta(x_hat)|| of the result
    start_error: float  # the same for the random starting image
    pixel_rmse: float  # RMS pixel difference to x_hat (information kept, seen in pixels)
    curve: list[tuple[int, float]]  # (step, relative feature error) as the optimisation went
    optimize: OptimizeResult


def relative_error(f: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``||f - target|| / ||target||`` (a scalar; 0 means identical representations)."""
    return (f - target).norm() / target.norm().clamp_min(1e-12)


def invert_layer(network: Network, image: torch.Tensor, layer: str, cfg: OptimizeConfig) -> Inversion:
    """Reconstruct ``image`` ``(C, H, W)`` from its representation at ``layer``."""
    device = next(network.model.parameters()).device
    x_hat = image.unsqueeze(0).to(device)
    extractor = network.extractor([layer])
    with torch.no_grad():
        target = extractor(x_hat)[layer].detach()
    denom = target.pow(2).sum().clamp_min(1e-12)

    def objective(x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        loss = (extractor(x)[layer] - target).pow(2).sum() / denom
        return loss, {"feature_loss": loss}

    def record(x: torch.Tensor) -> dict[str, float]:
        return {"feature_error": float(relative_error(extractor(x)[layer], target))}

    gen = torch.Generator().manual_seed(cfg.seed)
    param = make_param(cfg.param, shape=tuple(x_hat.shape), clamp=cfg.clamp, generator=gen).to(device)  # type: ignore[arg-type]
    with torch.no_grad():
        start = record(param.image().detach().clamp(0, 1))["feature_error"]
    result = optimize_image(objective, param, cfg, record=record, description=f"invert {layer}")
    with torch.no_grad():
        final = record(result.image)["feature_error"]
    rmse = float((result.image - x_hat).pow(2).mean().sqrt())
    curve = [(0, start)] + [(int(h["step"]), h["feature_error"]) for h in result.history]
    return Inversion(layer, result.image[0].cpu(), final, start, rmse, curve, result)


def invert(network: Network, image: torch.Tensor, layers: list[str], cfg: OptimizeConfig) -> list[Inversion]:
    """One reconstruction per layer (each from the same random start)."""
    for layer in layers:  # fail on a bad name before any optimisation
        network.resolve(layer)
    return [invert_layer(network, image, layer, cfg) for layer in layers]
