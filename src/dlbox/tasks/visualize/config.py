"""``dlbox visualize channels|invert`` configurations (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.optimize_input.loop import OptimizeConfig
from dlbox.tasks.input_run import InputRunConfig


def ascent_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=200, optimizer="adam", lr=0.05, log_every=20)


def inversion_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=200, optimizer="adam", lr=0.05, tv=0.0, log_every=10)


@dataclass
class ChannelsConfig(InputRunConfig):
    """``dlbox visualize channels``; ``size``: the side of the synthesised images (default: the model's input size)."""

    layer: str = ""
    channels: str | None = None  # "0-15", "0,3,7"; default the first 16
    target: str = "channel"  # channel | neuron | layer
    val_data: str | None = None  # digits | shapes | folder:PATH | none (default: a run's own validation split)
    optimize: OptimizeConfig = field(default_factory=ascent_optimize_defaults)


@dataclass
class InvertConfig(InputRunConfig):
    """``dlbox visualize invert``; ``size``: the longer side (default: the model's input size, or 128 for torchvision models)."""

    image: str = "sample:astronaut"
    layers: list[str] = field(default_factory=list)
    optimize: OptimizeConfig = field(default_factory=inversion_optimize_defaults)
