"""Options shared by the commands that do not train (attack, visualize, dream, style transfer / apply): one definition each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlbox.cli.common import OptionSpec, given, with_options

MODEL = typer.Option(..., "--model", help="a run directory, a dlbox model (cnn, resnet...) or torchvision:NAME (vgg16, vgg19, resnet50, googlenet, inception_v3)")
WEIGHTS = typer.Option(None, help="torchvision models: a local weights FILE, or 'random' (runs offline; much lower-quality pictures). Default: ImageNet weights from the torch hub cache")
ACCELERATOR = typer.Option(None, help="cpu | cuda | mps | auto (default: auto; attack and style apply: cpu)")

# The input-optimisation loop's options (dlbox.optimize_input.OptimizeConfig) and a run's; see input_command.
OPTIMIZE: dict[str, OptionSpec] = {
    "steps": (Optional[int], (), "optimisation steps", None),
    "lr": (Optional[float], (), "step size (learning rate)", None),
    "optimizer": (Optional[str], (), "adam | sgd (normalised gradients) | lbfgs", None),
    "param": (Optional[str], (), "image parameterisation: pixel | fourier (decorrelated, 1/f-scaled)", None),
    "jitter": (Optional[int], (), "random shift in pixels at every step", None),
    "scale": (Optional[float], (), "random rescale by up to +-this fraction at every step", None),
    "rotate": (Optional[float], (), "random rotation by up to +-this many degrees at every step", None),
    "l2": (Optional[float], (), "weight of the L2 regulariser (towards mid-grey)", None),
    "tv": (Optional[float], (), "weight of the total-variation regulariser", None),
    "blur_every": (Optional[int], (), "blur the image every N steps (0: never)", None),
    "blur_sigma": (Optional[float], (), "blur width in pixels", None),
    "seed": (Optional[int], (), "random seed", None),
    "progress": (Optional[bool], ("--progress/--no-progress",), "show a progress bar", None),
}
RUN: dict[str, OptionSpec] = {
    "weights": (Optional[str], (), "torchvision models: a local weights FILE, or 'random' (runs offline; much lower-quality pictures). "
                "Default: ImageNet weights from the torch hub cache", None),
    "accelerator": (Optional[str], (), "cpu | cuda | mps | auto (default: auto)", None),
    "name": (Optional[str], (), "run name (under runs/TASK/)", None),
    "out": (Optional[Path], (), "run directory (must not exist or be empty)", None),
    "config": (Optional[Path], (), "YAML config file", None),
    "set_": (Optional[list[str]], ("--set",), "config override key.path=value (repeatable), e.g. seed=3 or optimize.lr=0.1", None),
}
SEED = typer.Option(None, help="random seed")
NAME = typer.Option(None, help="run name (under runs/TASK/)")
OUT = typer.Option(None, help="run directory (must not exist or be empty)")
CONFIG = typer.Option(None, help="YAML config file")
SET = typer.Option(None, "--set", help="config override key.path=value (repeatable), e.g. seed=3")


def input_command(hide: tuple[str, ...] = ()) -> Any:
    """Decorate ``fn(common, **own)`` with the optimisation and run options (minus ``hide``); see :func:`input_sections`."""
    return with_options({**OPTIMIZE, **RUN}, None, hide)


def input_sections(common: dict[str, Any], optimize_at: str = "optimize") -> dict[str, Any]:
    """The options the user gave as config sections: the run's at the top, the loop's under ``optimize_at`` (dotted)."""
    optimize: dict[str, Any] = {k: common.get(k) for k in OPTIMIZE}
    for key in reversed(optimize_at.split(".")):
        optimize = {key: optimize}
    out = common.get("out")
    return given(weights=common.get("weights"), accelerator=common.get("accelerator"), name=common.get("name"),
                 out=str(out) if out else None, **optimize)


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
