"""``dlbox segment train``: the run configuration (saved as ``config.yaml`` in the run directory).

The shared sections (:class:`dlbox.config.TrainRunConfig`) with segmentation's defaults, plus ``segment``.
The defaults train a small padded U-Net (:data:`dlbox.tasks.segment.model_init.UNET_DEFAULTS` under any
``model.kwargs`` given) on 48x48 ``shapes`` scenes, channels-last: measured 96 s wall on two shared CPU
cores at test mIoU 0.96 (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlbox.config import DataConfig, FabricConfig, ModelConfig, TrainConfig, TrainRunConfig


@dataclass
class SegmentOptions:
    """What is specific to segmentation (notes 3.11); ``init`` (FCN from a classify run) is the shared top-level one."""

    ignore_index: int = 255  # mask value skipped by the loss and the metrics (VOC boundaries)
    classes: list[str] | None = None  # masks: class names, index order (default: MASKS_DIR/classes.txt, else inferred)
    dice_weight: float = 0.0  # loss = cross-entropy + dice_weight * soft Dice
    min_objects: int = 1  # shapes scenes: objects per image
    max_objects: int = 4
    tile_overlap: int = 16  # valid U-Net whole-image prediction: overlap of output tiles, pixels


def _data() -> DataConfig:
    return DataConfig(name="shapes", image_size=48, num_samples=1000, val_fraction=0.1, test_fraction=0.2)


def _train() -> TrainConfig:
    return TrainConfig(epochs=12, batch_size=16, eval_batch_size=64, monitor="val_miou")


def _fabric() -> FabricConfig:
    # channels-last speeds up the U-Net's convolutions on CPU; bf16 autocast was measured slower at these widths
    # (its casts cost more than the narrow convolutions gain), so the default stays 32-bit.
    return FabricConfig(channels_last=True)


@dataclass
class SegmentConfig(TrainRunConfig):
    """``dlbox segment train``: the shared sections (segmentation defaults) plus ``segment``."""

    data: DataConfig = field(default_factory=_data)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="unet"))  # U-Net size: model_init.UNET_DEFAULTS
    train: TrainConfig = field(default_factory=_train)
    fabric: FabricConfig = field(default_factory=_fabric)
    segment: SegmentOptions = field(default_factory=SegmentOptions)


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A ``config.yaml`` written before the shared vocabulary (section ``seg``, ``seg.init``) in today's keys."""
    data = dict(data)
    old = dict(data.pop("seg", None) or {})
    if "init" in old:
        init = old.pop("init")
        if init is not None:
            data["init"] = init
    if old:
        data["segment"] = {**old, **(data.get("segment") or {})}
    return data
