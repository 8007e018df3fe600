"""``dlbox classify train``: the run configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlbox.config import FabricConfig, TrainRunConfig


@dataclass
class ClassifyOptions:
    """What is specific to classification: transfer learning from ``init`` (notes 3.6) and the loss."""

    weights: str | None = None  # local weights file for --init torchvision:NAME
    freeze: str | None = None  # "features": train the new head only (transfer learning)
    label_smoothing: float = 0.0  # cross-entropy label smoothing


@dataclass
class ClassifyConfig(TrainRunConfig):
    """``dlbox classify train``: the shared sections plus ``classify``."""

    # The fast CPU path (bf16 + channels-last) where the hardware has it: shapes at 64x64 train in minutes.
    fabric: FabricConfig = field(default_factory=lambda: FabricConfig(precision="auto"))
    classify: ClassifyOptions = field(default_factory=ClassifyOptions)


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A ``config.yaml`` written before the shared vocabulary (``transfer.init``, ``optim.label_smoothing``) in today's keys."""
    data = dict(data)
    old = dict(data.pop("transfer", None) or {})
    section = dict(data.get("classify") or {})
    if "init" in old:
        data["init"] = old.pop("init")
    section.update(old)
    optim = dict(data.get("optim") or {})
    if "label_smoothing" in optim:
        section["label_smoothing"] = optim.pop("label_smoothing")
        data["optim"] = optim
    if section:
        data["classify"] = section
    return data
