"""Style transfer by optimisation: the internal-representation approach (Gatys et al.; notes 3.9.3).

Fit an image o minimising ``alpha L_content(x_hat, o, l) + beta L_style(y_hat, o)``
(+ ``tv`` total variation) with the loss network's weights fixed, starting from
the content image (``init="content"``) or from noise (``"random"``), with
L-BFGS (default) or Adam: one run of the shared input-optimisation loop.

With ``balance`` (default) the two losses are measured in units of natural
references before weighting: the content loss of a noise image (what losing
the content entirely costs) and the style loss of the starting image. alpha
and beta then mean the same for any loss network (a random VGG's activations
are orders of magnitude smaller than an ImageNet one's); ``balance=False``
uses the raw losses, as in the notes' formula. The reported losses are raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from dlbox.features.sources import Network
from dlbox.optimize_input.loop import OptimizeConfig, OptimizeResult, optimize_image
from dlbox.optimize_input.parameterization import make_param
from dlbox.style.losses import StyleContentLoss, default_layers

INITS = ("content", "random")


def gatys_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=100, optimizer="lbfgs", lr=1.0, log_every=10)


@dataclass
class GatysConfig:
    content_layer: str | None = None  # default: relu4_2 on VGG, a deep activation otherwise
    style_layers: list[str] = field(default_factory=list)  # default: relu1_1 ... relu5_1 on VGG
    style_weights: list[float] = field(default_factory=list)  # gamma_l; default 1 / L each
    alpha: float = 1.0  # content weight
    beta: float = 5.0  # style weight
    balance: bool = True  # weigh L_content / L_content(noise) and L_style / L_style(start) (see module docstring)
    init: str = "content"  # content | random
    optimize: OptimizeConfig = field(default_factory=gatys_optimize_defaults)


@dataclass
class GatysResult:
    image: torch.Tensor  # (C, H, W) in [0, 1]
    before: dict[str, float]  # losses of the starting image
    after: dict[str, float]
    reference: dict[str, float]  # losses of a noise image (what losing the content entirely costs)
    content_layer: str
    style_layers: list[str]
    optimize: OptimizeResult


def style_transfer(network: Network, content: torch.Tensor, style: torch.Tensor, cfg: GatysConfig | None = None) -> GatysResult:
    """Stylise ``content`` ``(C, H, W)`` with ``style`` ``(C, H', W')``; both in [0, 1]."""
    cfg = cfg or GatysConfig()
    if cfg.init not in INITS:
        raise ValueError(f"unknown init {cfg.init!r}; valid: {', '.join(INITS)}")
    if cfg.alpha < 0 or cfg.beta < 0:
        raise ValueError(f"alpha and beta must be non-negative, got {cfg.alpha} and {cfg.beta}")
    d_content, d_style = default_layers(network, "gatys")
    content_layer = cfg.content_layer or d_content
    style_layers = list(cfg.style_layers) or d_style
    for layer in [content_layer, *style_layers]:
        network.resolve(layer)
    device = next(network.model.parameters()).device
    x_hat = content.unsqueeze(0).to(device)
    loss = StyleContentLoss(network, style.to(device), content_layer, style_layers, cfg.style_weights or None)
    target = loss.content_target(x_hat)

    def objective(x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        lc, ls, _ = loss.losses(x, target)
        # divided by the starting loss: the same minimiser, but L-BFGS's tolerances no longer depend
        # on the loss network's activation scale (a random VGG's deep features are tiny)
        return (cfg.alpha * lc / c_unit + cfg.beta * ls / s_unit) / scale, {"content": lc, "style": ls}

    def losses_of(x: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            lc, ls, per_layer = loss.losses(x, target)
        return {
            "content": float(lc), "style": float(ls), "total": float(cfg.alpha * lc / c_unit + cfg.beta * ls / s_unit),
            **{f"style/{n}": float(v) for n, v in per_layer.items()},
        }

    gen = torch.Generator().manual_seed(cfg.optimize.seed)
    if cfg.init == "content":
        param = make_param(cfg.optimize.param, init=x_hat.cpu(), clamp=cfg.optimize.clamp).to(device)
    else:
        param = make_param(cfg.optimize.param, shape=tuple(x_hat.shape), clamp=cfg.optimize.clamp, generator=gen).to(device)  # type: ignore[arg-type]
    c_unit = s_unit = 1.0
    noise = make_param("pixel", shape=tuple(x_hat.shape), generator=torch.Generator().manual_seed(cfg.optimize.seed + 1)).image().detach().to(device)  # type: ignore[arg-type]
    reference = losses_of(noise)
    before = losses_of(param.image().detach().clamp(0, 1))
    if cfg.balance:
        c_unit = reference["content"] if reference["content"] > 0 else 1.0
        s_unit = before["style"] if before["style"] > 0 else 1.0
        reference, before = losses_of(noise), losses_of(param.image().detach().clamp(0, 1))  # totals in balanced units
    scale = before["total"] if before["total"] > 0 else 1.0
    result = optimize_image(objective, param, cfg.optimize, description="style transfer")
    after = losses_of(result.image)
    return GatysResult(result.image[0].cpu(), before, after, reference, content_layer, style_layers, result)
