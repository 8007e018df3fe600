"""``dlbox style train``: the perceptual-loss recipe for the one training run (:mod:`dlbox.engine.training`).

A frozen loss network measures the content (``y_c = x``: keep the input's content) and the style (Gram
matrices of one style image) of the transformation network's output (:mod:`dlbox.models.transformer_net`);
afterwards one forward pass stylises any image (``dlbox style apply``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.style.config import StyleTrainConfig, upgrade  # noqa: F401  (upgrade: picked up by Recipe.of)


def train(cfg: StyleTrainConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train a transformation network for ``cfg.style.image`` (or continue ``resume``); return the run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or StyleTrainConfig(), resume, changes)


def check(cfg: StyleTrainConfig) -> None:
    if cfg.train.batch_size == "full":
        return
    if cfg.data.image_size is None or cfg.data.image_size < 16:
        raise ValueError(f"content size (--size, data.image_size) must be at least 16 pixels, got {cfg.data.image_size}")
    if cfg.style.style_size is not None and cfg.style.style_size < 8:
        raise ValueError(f"--style-size must be at least 8 pixels, got {cfg.style.style_size}")


def load_data(cfg: StyleTrainConfig) -> Any:
    from dlbox.tasks.style.data import load_content

    return load_content(cfg.data.name, int(cfg.data.image_size))


def build_model(cfg: StyleTrainConfig, bundle: Any) -> nn.Module:
    from dlbox.models import create_model

    return create_model(cfg.model.name, **{"in_channels": 3, **cfg.model.kwargs})


def prepare(cfg: StyleTrainConfig, bundle: Any, device: torch.device) -> dict[str, Any]:
    """The loss network and the style image: a bad model name or image fails before the run directory exists."""
    from dlbox.data.samples import load_image
    from dlbox.features.sources import load_network
    from dlbox.style.losses import StyleContentLoss, default_layers

    o = cfg.style
    network = load_network(o.loss_model, o.weights, device=device)
    style = load_image(o.image, 3, max_side=o.style_size or cfg.data.image_size)
    d_content, d_style = default_layers(network, "johnson")
    content_layer, style_layers = o.content_layer or d_content, list(o.style_layers) or d_style
    loss = StyleContentLoss(network, style.to(device), content_layer, style_layers, o.style_weights or None)
    return {"loss": loss, "style": style, "layers": (content_layer, style_layers), "network": network.describe()}


def make_step(run: Run) -> Any:
    from dlbox.tasks.style.step import PerceptualStep

    return PerceptualStep(run)


def model_meta(run: Run) -> dict[str, Any]:
    content_layer, style_layers = run.extras["layers"]
    return {"style": run.cfg.style.image, "size": run.cfg.data.image_size, "loss_network": run.extras["network"],
            "content_layer": content_layer, "style_layers": style_layers, "input": {"channels": 3, "size": None}}


def seconds_per_image(net: nn.Module, size: int = 256, repeats: int = 3) -> float:
    """Median wall time of one forward pass on a ``size x size`` image (eval, no gradients)."""
    device = next(net.parameters()).device
    x = torch.rand(1, 3, size, size, device=device)
    times = []
    with torch.no_grad():
        net(x)  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def finish(run: Run) -> dict[str, Any]:
    """``style.png``, a gallery of stylised validation images, the per-image speed and the loss figures."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.input_run import save_gallery, save_png

    net = unwrap(run.eval_model).eval()
    style, val_images = run.extras["style"], run.bundle.val["image"]
    save_png(style, run.run_dir / "style.png")
    with torch.no_grad():
        shown = val_images[:4].to(next(net.parameters()).device)
        styled = net(shown).cpu()
    images = [style] + [im for pair in zip(shown.cpu(), styled) for im in pair]
    titles = ["style"] + [t for i in range(len(shown)) for t in (f"content {i}", f"stylised {i}")]
    save_gallery(images, titles, run.run_dir / "samples.png", cols=1 + 2 * min(2, len(shown)))
    history = run.result.state.history
    content_layer, style_layers = run.extras["layers"]
    return {
        "first_epoch_val_style": history[0].get("val_style") if history else None,
        "balance_scales": run.extras.get("scales"),
        "seconds_per_256_image": round(seconds_per_image(net, 256), 5),
        "loss_network": run.extras["network"], "content_layer": content_layer, "style_layers": style_layers,
        "history": history,
    }


RECIPE = Recipe.of(__name__, task="style", config_type=StyleTrainConfig,
                   monitors=("val_loss", "val_content", "val_style"),
                   unused=("init", "optim.backbone_lr_mult", "data.val_fraction", "data.test_fraction", "data.split_seed",
                           "data.on_bad_image", "data.train_per_class", "data.num_samples", "data.shapes", "data.grayscale",
                           "data.in_memory_limit_mb", "data.augment"),
                   curves=(("train_loss", "val_loss"), ("val_content",), ("val_style",)))
