"""Perceptual-loss style transfer (Johnson et al.; notes 3.9.3): train a network to stylise in one pass.

A frozen loss network measures content (``y_c = x``: keep the input's content)
and style (Gram matrices of one style image) of the transformation network's
output; the image transformation network (:mod:`dlbox.models.transformer_net`)
is trained over a set of content images with the shared engine loop
(:func:`dlbox.engine.loop.fit`: budgets, checkpoints, validation, progress).
Afterwards one forward pass stylises any image (:mod:`dlbox.style.apply`).

With ``balance`` (default), each loss is divided by its value for the untrained
network on the first batch, so ``alpha`` and ``beta`` weigh the two terms
independently of the loss network's activation scale (a random VGG's are far
smaller than an ImageNet one's).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.config import FabricConfig, OptimConfig, TrainConfig, save_yaml
from dlbox.optimize_input.regularizers import total_variation
from dlbox.style.losses import StyleContentLoss

TASK = "style"


@dataclass
class StyleNetConfig:
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    res_blocks: int = 5


def _style_optim() -> OptimConfig:
    return OptimConfig(optimizer="adam", lr=1e-3, schedule="none")


def _style_train() -> TrainConfig:
    return TrainConfig(epochs=2, batch_size=4, eval_batch_size=8, log_every=10, monitor="val_loss")


@dataclass
class StyleTrainConfig:
    """``dlbox style train``."""

    name: str | None = None
    out: str | None = None
    style: str = "sample:chelsea"  # the style image: sample:NAME or a file
    data: str = "samples"  # content images: samples | folder:PATH | digits | shapes
    size: int = 128  # content images are square crops of this side
    style_size: int | None = None  # longer side of the style image (default: size)
    loss_model: str = "vgg16"  # the fixed loss network (run dir, dlbox model or torchvision:NAME)
    weights: str | None = None  # for a torchvision loss network: FILE or "random"
    content_layer: str | None = None  # default relu2_2 on VGG (Johnson et al.)
    style_layers: list[str] = field(default_factory=list)  # default relu1_2, relu2_2, relu3_3, relu4_3
    style_weights: list[float] = field(default_factory=list)
    alpha: float = 1.0
    beta: float = 5.0
    tv: float = 0.0
    balance: bool = True
    net: StyleNetConfig = field(default_factory=StyleNetConfig)
    optim: OptimConfig = field(default_factory=_style_optim)
    train: TrainConfig = field(default_factory=_style_train)
    fabric: FabricConfig = field(default_factory=FabricConfig)


# --------------------------------------------------------------------------- content images


def _square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Shorter side to ``size``, then the centre ``size x size`` crop."""
    from dlbox.data.samples import resize

    h, w = image.shape[-2:]
    k = size / min(h, w)
    image = resize(image, (max(size, round(h * k)), max(size, round(w * k))))
    h, w = image.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return image[:, top : top + size, left : left + size]


def _crops(image: torch.Tensor, size: int) -> list[torch.Tensor]:
    """The centre crop at ``size``, plus the four corner crops of a twice-as-large copy."""
    from dlbox.data.samples import resize

    out = [_square(image, size)]
    big = _square(image, 2 * size)
    for top in (0, size):
        for left in (0, size):
            out.append(big[:, top : top + size, left : left + size])
    return [resize(o, (size, size)) for o in out]


def content_images(data: str, size: int) -> torch.Tensor:
    """``(N, 3, size, size)`` content images from ``samples``, ``folder:PATH`` (any tree of images) or a dataset."""
    if size < 16:
        raise ValueError(f"content size must be at least 16 pixels, got {size}")
    if data == "samples":
        from dlbox.data.samples import list_samples, load_sample

        return torch.stack([c for n in list_samples() for c in _crops(load_sample(n, 3), size)])
    if data.startswith("folder:"):
        return _folder_images(Path(data[len("folder:") :]), size)
    from dlbox.config import DataConfig
    from dlbox.data import load_dataset

    bundle = load_dataset(DataConfig(name=data, image_size=size, num_samples=512))
    images = bundle.train["image"][:512]  # type: ignore[index]
    return images.expand(-1, 3, -1, -1).contiguous() if images.shape[1] == 1 else images


def _folder_images(root: Path, size: int) -> torch.Tensor:
    from dlbox.data.images import IMAGE_SUFFIXES, BadImageError, read_image

    if not root.is_dir():
        raise FileNotFoundError(f"content folder {root} does not exist or is not a directory")
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    images, bad = [], []
    for f in files:
        try:
            images.append(_square(read_image(f, 3), size))
        except BadImageError as exc:
            bad.append(f"{exc.path} ({exc.reason})")
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable file(s):\n  " + "\n  ".join(bad), stacklevel=2)
    if not images:
        raise ValueError(f"content folder {root} has no readable images (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return torch.stack(images)


def split_content(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every tenth image (at least one, at most eight) for validation; all of them if there is only one."""
    n = len(images)
    if n == 1:
        return images, images
    val_idx = list(range(0, n, 10))[:8] if n >= 10 else [n - 1]
    keep = [i for i in range(n) if i not in set(val_idx)]
    return images[keep], images[val_idx]


# --------------------------------------------------------------------------- the task


class PerceptualTask:
    """One step: stylise a batch, measure content/style losses through the loss network, update."""

    def __init__(self, fabric: Any, net: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, loss: StyleContentLoss, cfg: StyleTrainConfig, val_images: torch.Tensor):
        self.fabric, self.net, self.optimizer, self.scheduler, self.loss = fabric, net, optimizer, scheduler, loss
        self.alpha, self.beta, self.tv = cfg.alpha, cfg.beta, cfg.tv
        self.val_images = val_images
        self.balance = cfg.balance
        self.scales: dict[str, float] | None = None  # the untrained network's losses (balance)

    def _losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        y = self.net(x)
        lc, ls, _ = self.loss.losses(y, self.loss.content_target(x))
        if self.scales is None:
            c0, s0 = float(lc.detach()), float(ls.detach())
            self.scales = {"content": c0 if self.balance and c0 > 0 else 1.0, "style": s0 if self.balance and s0 > 0 else 1.0}
        total = self.alpha * lc / self.scales["content"] + self.beta * ls / self.scales["style"]
        if self.tv:
            total = total + self.tv * total_variation(y) / len(y)
        return {"loss": total, "content": lc, "style": ls}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.net.train()
        out = self._losses(batch["image"])
        self.optimizer.zero_grad(set_to_none=True)
        self.fabric.backward(out["loss"])
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return {k: v.detach() for k, v in out.items()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        self.net.eval()
        out = self._losses(self.val_images)
        return {"val_loss": float(out["loss"]), "val_content": float(out["content"]), "val_style": float(out["style"])}

    def checkpoint_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"model": self.net, "optimizer": self.optimizer}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler
        return state

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        return batch["image"].shape[0]


# --------------------------------------------------------------------------- training


def train_style(cfg: StyleTrainConfig) -> Path:
    """Train a transformation network for ``cfg.style``; returns the run directory."""
    from dlbox.engine.fabric_setup import build_fabric, launch

    fabric = build_fabric(cfg.fabric)
    return Path(launch(fabric, _train_worker, cfg))


def _train_worker(fabric: Any, cfg: StyleTrainConfig) -> str:
    from dlbox.data import make_loader
    from dlbox.data.samples import load_image
    from dlbox.engine.optim import build_optimizer, build_scheduler
    from dlbox.engine.run import run_loop, total_steps
    from dlbox.engine.rundir import new_run_dir
    from dlbox.features.sources import load_network
    from dlbox.models import create_model
    from dlbox.style.losses import default_layers

    fabric.seed_everything(cfg.train.seed, verbose=False)
    if not isinstance(cfg.train.batch_size, int) or cfg.train.batch_size < 1:
        raise ValueError(f"style training needs an integer batch size, got {cfg.train.batch_size!r}")
    # Everything that can fail on bad input happens before the run directory exists.
    network = load_network(cfg.loss_model, cfg.weights, device=fabric.device)
    style = load_image(cfg.style, 3, max_side=cfg.style_size or cfg.size)
    d_content, d_style = default_layers(network, "johnson")
    content_layer, style_layers = cfg.content_layer or d_content, list(cfg.style_layers) or d_style
    loss = StyleContentLoss(network, style.to(fabric.device), content_layer, style_layers, cfg.style_weights or None)
    train_images, val_images = split_content(content_images(cfg.data, cfg.size))

    net = create_model("style_transformer", in_channels=3, channels=list(cfg.net.channels), res_blocks=cfg.net.res_blocks)

    path = None
    if fabric.global_rank == 0:
        path = new_run_dir(TASK, cfg.name, cfg.out)
        (path / "checkpoints").mkdir(exist_ok=True)
        save_yaml(cfg, path / "config.yaml")
    run_dir = Path(fabric.broadcast(str(path) if path else None, src=0))

    optimizer = build_optimizer(net.parameters(), cfg.optim)
    net, optimizer = fabric.setup(net, optimizer)
    loader = make_loader({"image": train_images}, cfg.train.batch_size, shuffle=True, seed=cfg.train.seed, device=fabric.device,
                         rank=fabric.global_rank, world_size=fabric.world_size)
    scheduler = build_scheduler(optimizer, cfg.optim, total_steps(cfg.train, len(loader)), len(loader))
    task = PerceptualTask(fabric, net, optimizer, scheduler, loss, cfg, val_images.to(fabric.device))
    result = run_loop(fabric, task, loader, cfg.train, run_dir)
    if fabric.global_rank == 0:
        _finish(run_dir, cfg, task, style, val_images, result, content_layer, style_layers, network.describe())
    fabric.barrier()
    return str(run_dir)


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


def _finish(run_dir: Path, cfg: StyleTrainConfig, task: PerceptualTask, style: torch.Tensor, val_images: torch.Tensor, result: Any,
            content_layer: str, style_layers: list[str], loss_network: str) -> None:
    from dlbox.engine.rundir import write_json
    from dlbox.model_io import save_model
    from dlbox.optimize_input.images import save_gallery, save_png
    from dlbox.plots import plot_curves
    from dlbox.engine.run import unwrap

    net = unwrap(task.net).eval()
    meta = {"task": TASK, "style": cfg.style, "size": cfg.size, "loss_network": loss_network,
            "content_layer": content_layer, "style_layers": style_layers, "input": {"channels": 3, "size": None}}
    save_model(run_dir, net, meta)
    save_png(style, run_dir / "style.png")
    with torch.no_grad():
        shown = val_images[:4].to(next(net.parameters()).device)
        styled = net(shown).cpu()
    images = [style] + [im for pair in zip(shown.cpu(), styled) for im in pair]
    titles = ["style"] + [t for i in range(len(shown)) for t in (f"content {i}", f"stylised {i}")]
    save_gallery(images, titles, run_dir / "samples.png", cols=1 + 2 * min(2, len(shown)))
    plot_curves(result.state.history, run_dir / "curves.png", keys=[("train_loss", "val_loss"), ("val_content",), ("val_style",)])
    last = result.state.history[-1] if result.state.history else {}
    first = result.state.history[0] if result.state.history else {}
    metrics = {
        "val_loss": last.get("val_loss"), "val_content": last.get("val_content"), "val_style": last.get("val_style"),
        "first_epoch_val_style": first.get("val_style"),
        "balance_scales": task.scales,
        "epochs": result.state.epoch, "steps": result.state.step, "stopped_by": result.stopped_by,
        "train_time_s": round(result.state.train_time, 3), "images_per_s": round(result.samples_per_s, 2),
        "seconds_per_256_image": round(seconds_per_image(net, 256), 5),
        "loss_network": loss_network, "content_layer": content_layer, "style_layers": style_layers,
        "history": result.state.history,
    }
    write_json(run_dir / "metrics.json", metrics)  # last: its presence marks the run complete
