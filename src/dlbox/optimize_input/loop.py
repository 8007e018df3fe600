"""The one input-optimisation loop (notes 3.9): the weights are fixed, the image is optimised.

Every technique of 3.9 is an ``objective(x) -> (loss, terms)`` to *minimise*
over an image parameterisation; image ascent passes minus the activation,
feature inversion a feature distance, style transfer the weighted content and
style losses, DeepDream minus a layer's energy. :func:`optimize_image` adds the
rest once: robustness transforms, regularisers (L2, total variation, blur),
the optimiser (Adam, SGD with normalised gradients, L-BFGS), clamping to [0, 1],
the history of losses and a progress bar.

The model's own input normalisation is part of the model (dlbox models take
[0, 1] images; torchvision ones normalise in ``features.normalize``), so the
image lives in pixel space throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from dlbox.engine.optim import INPUT_OPTIMIZERS, create_optimizer
from dlbox.optimize_input.parameterization import ImageParam
from dlbox.optimize_input.regularizers import l2, total_variation
from dlbox.optimize_input.transforms import RobustnessTransforms

Objective = Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]


@dataclass
class OptimizeConfig:
    """Settings of :func:`optimize_image`; each technique has its own defaults."""

    steps: int = 200  # optimiser steps (L-BFGS: iterations)
    optimizer: str = "adam"  # adam | sgd | lbfgs
    lr: float = 0.05
    normalize_grad: bool = True  # sgd: divide each image's gradient by its mean absolute value
    param: str = "pixel"  # pixel | fourier
    jitter: int = 0  # random shift, pixels
    scale: float = 0.0  # random rescale by up to +-this fraction
    rotate: float = 0.0  # random rotation by up to +-this many degrees
    l2: float = 0.0  # weight of the L2 (towards mid-grey) regulariser
    tv: float = 0.0  # weight of the total-variation regulariser
    blur_every: int = 0  # blur the image every N steps (0: never)
    blur_sigma: float = 0.5
    clamp: bool = True  # keep pixels in [0, 1] after every step
    seed: int = 0
    log_every: int = 10  # steps between history rows
    progress: bool = True


@dataclass
class OptimizeResult:
    image: torch.Tensor  # (B, C, H, W) in [0, 1], detached
    history: list[dict[str, float]] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def final(self) -> dict[str, float]:
        return self.history[-1] if self.history else {}


def validate_config(cfg: OptimizeConfig) -> None:
    if cfg.optimizer not in INPUT_OPTIMIZERS:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; valid: {', '.join(INPUT_OPTIMIZERS)}")
    if cfg.steps < 0:
        raise ValueError(f"steps must be >= 0, got {cfg.steps}")
    if cfg.lr <= 0:
        raise ValueError(f"lr must be positive, got {cfg.lr}")
    for name in ("l2", "tv", "blur_sigma"):
        if getattr(cfg, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(cfg, name)}")


def optimize_image(
    objective: Objective,
    param: ImageParam,
    cfg: OptimizeConfig,
    record: Callable[[torch.Tensor], dict[str, float]] | None = None,
    description: str = "optimise",
) -> OptimizeResult:
    """Minimise ``objective(T(x)) + l2 * L2(x) + tv * TV(x)`` over the image ``x = param.image()``.

    ``T`` is the random robustness transform. ``record(x)`` (evaluated every
    ``log_every`` steps, without gradients) adds entries to the history, e.g. a
    feature error measured on the untransformed image.
    """
    validate_config(cfg)
    transforms = RobustnessTransforms(cfg.jitter, cfg.scale, cfg.rotate, seed=cfg.seed)
    params = [p for p in param.parameters() if p.requires_grad]
    optimizer = create_optimizer(cfg.optimizer, params, cfg.lr)
    history: list[dict[str, float]] = []
    last: dict[str, torch.Tensor] = {}

    def evaluate() -> torch.Tensor:
        x = param.image()
        loss, terms = objective(transforms(x) if transforms.active else x)
        terms = dict(terms)
        if cfg.l2:
            terms["l2"] = l2(x)
            loss = loss + cfg.l2 * terms["l2"]
        if cfg.tv:
            terms["tv"] = total_variation(x)
            loss = loss + cfg.tv * terms["tv"]
        last.clear()
        last.update({k: v.detach() for k, v in terms.items()}, loss=loss.detach())
        return loss

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        if cfg.optimizer == "lbfgs":  # L-BFGS evaluates several points per step: keep each one valid
            param.project()
        loss = evaluate()
        loss.backward()
        if cfg.optimizer == "sgd" and cfg.normalize_grad:
            for p in params:
                if p.grad is not None:
                    dims = tuple(range(1, p.grad.ndim))
                    p.grad.div_(p.grad.abs().mean(dim=dims, keepdim=True) + 1e-8)
        return loss

    def log(step: int) -> None:
        row: dict[str, float] = {"step": float(step), **{k: float(v) for k, v in last.items()}}
        if record is not None:
            with torch.no_grad():
                row.update(record(param.image().detach()))
        history.append(row)

    progress = _Progress(cfg.progress, description, cfg.steps)
    t0 = time.monotonic()
    step = 0
    try:
        while step < cfg.steps:
            if cfg.optimizer == "lbfgs":
                chunk = min(10, cfg.steps - step)
                optimizer.param_groups[0]["max_iter"] = chunk
                optimizer.param_groups[0]["max_eval"] = chunk * 3
                before = optimizer.state[params[0]].get("n_iter", 0)
                optimizer.step(closure)
                done = optimizer.state[params[0]].get("n_iter", 0) - before
                step += chunk
                converged = done == 0  # the gradient or the change fell below L-BFGS's tolerance
            else:
                closure()
                optimizer.step()
                step += 1
                converged = False
            param.project()
            if cfg.blur_every and step % cfg.blur_every == 0:
                param.blur(cfg.blur_sigma)
            if not torch.isfinite(last["loss"]):
                raise RuntimeError(f"the objective became {float(last['loss'])} at step {step}; try a lower --lr")
            if step % cfg.log_every == 0 or step >= cfg.steps or converged or step == 1:
                log(step)
            progress.update(step, float(last["loss"]))
            if converged:  # L-BFGS met its tolerance: nothing left to gain
                break
    finally:
        progress.stop()
    if cfg.steps == 0:
        with torch.no_grad():
            evaluate()
        log(0)
    image = param.image().detach().clamp(0, 1)
    return OptimizeResult(image, history, step, time.monotonic() - t0)


def measure(objective: Objective, image: torch.Tensor) -> dict[str, float]:
    """The objective's terms on ``image`` (no transforms, no gradient)."""
    with torch.no_grad():
        loss, terms = objective(image)
    return {"loss": float(loss), **{k: float(v) for k, v in terms.items()}}


class _Progress:
    """A rich progress bar (step, loss), refreshed a few times a second; silent when disabled."""

    def __init__(self, enabled: bool, description: str, total: int):
        self.bar: Any = None
        self.last = 0.0
        self.latest: tuple[int, float] | None = None
        if not enabled or total == 0:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[info]}"), refresh_per_second=4,
        )
        self.bar.start()
        self.task = self.bar.add_task(description, total=total, info="")

    def update(self, step: int, loss: float, force: bool = False) -> None:
        if self.bar is None:
            return
        self.latest = (step, loss)
        now = time.monotonic()
        if now - self.last < 0.25 and not force:
            return
        self.last = now
        self.bar.update(self.task, completed=step, info=f"loss {loss:.4g}")

    def stop(self) -> None:
        if self.bar is not None:
            if self.latest is not None:  # the last step, even if it came within the refresh interval
                self.update(*self.latest, force=True)
            self.bar.stop()
            self.bar = None
