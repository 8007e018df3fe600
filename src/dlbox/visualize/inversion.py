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

from dataclasses import dataclass, field
from pathlib import Path

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


# --------------------------------------------------------------------------- the command


def inversion_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=200, optimizer="adam", lr=0.05, tv=0.0, log_every=10)


@dataclass
class InvertConfig:
    """``dlbox visualize invert``."""

    name: str | None = None
    out: str | None = None
    image: str = "sample:astronaut"
    model: str = ""
    weights: str | None = None
    layers: list[str] = field(default_factory=list)
    size: int | None = None  # longer side (default: the model's input size, or 128 for torchvision models)
    device: str = "auto"
    optimize: OptimizeConfig = field(default_factory=inversion_optimize_defaults)


def plot_error_curves(results: list[Inversion], path: Path) -> None:
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for r in results:
        steps, errs = zip(*r.curve)
        ax.plot([max(s, 1) for s in steps], errs, marker="o", ms=2, label=r.layer)
    ax.set_xscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative feature error")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_invert(cfg: InvertConfig) -> Path:
    """Reconstruct ``cfg.image`` from each layer's representation; write a run directory."""
    from dlbox.data.samples import image_label
    from dlbox.features.sources import load_network
    from dlbox.optimize_input.images import save_gallery, save_png
    from dlbox.optimize_input.loop import validate_config
    from dlbox.optimize_input.run import check_out, finish_run, network_image, resolve_device, start_run

    network = load_network(cfg.model, cfg.weights, device=resolve_device(cfg.device))
    check_out(cfg.out)
    validate_config(cfg.optimize)
    if not cfg.layers:
        raise ValueError(f"name one or more layers with --layers; `dlbox layers {cfg.model}` lists them")
    for layer in cfg.layers:
        network.resolve(layer)
    size = cfg.size if cfg.size is not None or network.image_size is not None else 128
    image = network_image(network, cfg.image, size)
    results = invert(network, image, list(cfg.layers), cfg.optimize)
    run_dir = start_run("visualize-invert", cfg, cfg.name, cfg.out)
    save_png(image, run_dir / "original.png")
    for i, r in enumerate(results, start=1):
        save_png(r.image, run_dir / f"invert_{i:02d}_{r.layer.replace('/', '_')}.png")
    save_gallery([image] + [r.image for r in results], [image_label(cfg.image)] + [f"{r.layer}\nerr {r.feature_error:.3f}" for r in results], run_dir / "reconstructions.png")
    plot_error_curves(results, run_dir / "feature_error.png")
    metrics = {
        "model": network.describe(), "image": cfg.image, "size": list(image.shape[-2:]),
        "layers": [
            {"layer": r.layer, "feature_error": r.feature_error, "start_error": r.start_error, "pixel_rmse": r.pixel_rmse,
             "curve": [{"step": s, "feature_error": e} for s, e in r.curve], "seconds": round(r.optimize.seconds, 3)}
            for r in results
        ],
        "steps": cfg.optimize.steps,
    }
    return finish_run(run_dir, metrics)
