"""``dlbox segment train``: the run configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.config import DataConfig, FabricConfig, ModelConfig, OptimConfig, TrainConfig


@dataclass
class SegmentOptions:
    """What is specific to segmentation (notes 3.11)."""

    ignore_index: int = 255  # mask value skipped by the loss and the metrics (VOC boundaries)
    classes: list[str] | None = None  # masks: class names, index order (default: MASKS_DIR/classes.txt, else inferred)
    dice_weight: float = 0.0  # loss = cross-entropy + dice_weight * soft Dice
    init: str | None = None  # fcn*: a classify RUN_DIR whose backbone and dense head start the FCN
    min_objects: int = 1  # shapes scenes: objects per image
    max_objects: int = 4
    tile_overlap: int = 16  # valid U-Net whole-image prediction: overlap of output tiles, pixels


def _data() -> DataConfig:
    return DataConfig(name="shapes", image_size=64, num_samples=1500, val_fraction=0.1, test_fraction=0.2)


@dataclass
class SegmentConfig:
    """``dlbox segment train``."""

    name: str | None = None  # run name under runs/segment/
    out: str | None = None  # explicit run directory
    data: DataConfig = field(default_factory=_data)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="unet"))
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(batch_size=32, eval_batch_size=64, monitor="val_miou"))
    fabric: FabricConfig = field(default_factory=FabricConfig)
    seg: SegmentOptions = field(default_factory=SegmentOptions)
