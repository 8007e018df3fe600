"""Options shared by the commands that do not train (attack, visualize, dream, style transfer / apply): one definition each."""

from __future__ import annotations

from typing import Any

import typer

MODEL = typer.Option(..., "--model", help="a run directory, a dlbox model (cnn, resnet...) or torchvision:NAME (vgg16, vgg19, resnet50, googlenet, inception_v3)")
WEIGHTS = typer.Option(None, help="torchvision models: a local weights FILE, or 'random' (runs offline; much lower-quality pictures). Default: ImageNet weights from the torch hub cache")
ACCELERATOR = typer.Option(None, help="cpu | cuda | mps | auto (default: auto; attack and style apply: cpu)")

STEPS = typer.Option(None, min=0, help="optimisation steps")
LR = typer.Option(None, min=0.0, help="step size (learning rate)")
OPTIMIZER = typer.Option(None, help="adam | sgd (normalised gradients) | lbfgs")
PARAM = typer.Option(None, help="image parameterisation: pixel | fourier (decorrelated, 1/f-scaled)")
JITTER = typer.Option(None, min=0, help="random shift in pixels at every step")
SCALE = typer.Option(None, min=0.0, help="random rescale by up to +-this fraction at every step")
ROTATE = typer.Option(None, min=0.0, help="random rotation by up to +-this many degrees at every step")
L2 = typer.Option(None, min=0.0, help="weight of the L2 regulariser (towards mid-grey)")
TV = typer.Option(None, min=0.0, help="weight of the total-variation regulariser")
BLUR_EVERY = typer.Option(None, min=0, help="blur the image every N steps (0: never)")
BLUR_SIGMA = typer.Option(None, min=0.0, help="blur width in pixels")
SEED = typer.Option(None, help="random seed")
PROGRESS = typer.Option(None, "--progress/--no-progress", help="show a progress bar")

NAME = typer.Option(None, help="run name (under runs/TASK/)")
OUT = typer.Option(None, help="run directory (must not exist or be empty)")
CONFIG = typer.Option(None, help="YAML config file")
SET = typer.Option(None, "--set", help="config override key.path=value (repeatable), e.g. seed=3 or optimize.lr=0.1")


def split_list(values: list[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``; None stays None."""
    if not values:
        return None
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def float_list(values: list[str] | None, option: str) -> list[float] | None:
    parts = split_list(values)
    if parts is None:
        return None
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise typer.BadParameter(f"{values} must be numbers, e.g. 1,1,0.5", param_hint=option) from None
