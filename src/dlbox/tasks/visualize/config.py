"""``dlbox visualize channels|invert`` configurations (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.optimize_input.loop import OptimizeConfig


def ascent_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=200, optimizer="adam", lr=0.05, log_every=20)


def inversion_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=200, optimizer="adam", lr=0.05, tv=0.0, log_every=10)


@dataclass
class ChannelsConfig:
    """``dlbox visualize channels``."""

    name: str | None = None
    out: str | None = None
    model: str = ""  # run dir | dlbox model | torchvision:NAME
    weights: str | None = None  # torchvision: FILE or "random"
    layer: str = ""
    channels: str | None = None  # "0-15", "0,3,7"; default the first 16
    target: str = "channel"  # channel | neuron | layer
    size: int | None = None  # side of the synthesised images (default: the model's input size)
    val_data: str | None = None  # digits | shapes | folder:PATH | none (default: a run's own validation split)
    accelerator: str = "auto"  # cpu | cuda | mps | auto
    optimize: OptimizeConfig = field(default_factory=ascent_optimize_defaults)


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
    accelerator: str = "auto"  # cpu | cuda | mps | auto
    optimize: OptimizeConfig = field(default_factory=inversion_optimize_defaults)
