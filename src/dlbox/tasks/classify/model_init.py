"""Building the model a classification run trains: from scratch, or transferred (notes 3.6).

- scratch: ``create_model(cfg.model.name, ...)``.
- ``--init RUN_DIR``: same architecture as that run, its ``features`` weights, a new head.
- ``--init torchvision:NAME``: torchvision's ImageNet backbone, a new head.

``--freeze features`` then trains the new head only (transfer learning);
without it everything trains, the backbone at ``lr * backbone_lr_mult`` (fine-tuning).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch.nn as nn

from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.data.bundle import DataBundle
from dlbox.models import create_model, list_models
from dlbox.models.classifier import Classifier


# The default cnn on images of 32 px or more (shapes, photo folders): narrower, so the defaults train in minutes
# on a laptop CPU (64x64 shapes reach 100% test accuracy); --model-arg channels=[32,64,128] is the wider one.
LARGE_IMAGE_CNN = {"channels": [16, 32, 64]}


def build_model(cfg: ClassifyConfig, bundle: DataBundle) -> nn.Module:
    shape = {"in_channels": bundle.in_channels, "num_classes": bundle.num_classes, "image_size": list(bundle.image_size)}
    init = cfg.init
    if init is None:
        if cfg.model.name in list_models() and cfg.model.name not in classifiers():
            raise ValueError(f"model {cfg.model.name!r} is not a classifier (features + head); classifiers: {', '.join(classifiers())}")
        defaults = LARGE_IMAGE_CNN if cfg.model.name == "cnn" and min(bundle.image_size) >= 32 else {}
        return create_model(cfg.model.name, **{**defaults, **cfg.model.kwargs, **shape})
    if init.startswith("torchvision:"):
        from dlbox.models.torchvision_adapter import load_backbone

        arch = init.split(":", 1)[1]
        model = create_model("torchvision", arch=arch, **shape)
        load_backbone(model, arch, cfg.classify.weights)
        return model
    return _from_run(Path(init), shape)


def _from_run(run_dir: Path, shape: dict[str, Any]) -> nn.Module:
    from dlbox.model_io import load_state_file, read_model_json

    source = read_model_json(run_dir)
    src_channels = source["kwargs"].get("in_channels")
    if src_channels is not None and src_channels != shape["in_channels"]:
        raise ValueError(
            f"--init {run_dir}: that model takes {src_channels}-channel images but this dataset has "
            f"{shape['in_channels']}; use data.grayscale or a matching dataset"
        )
    model = create_model(source["name"], **{**source["kwargs"], **shape})
    state = load_state_file(run_dir / "model.safetensors")
    features = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    model.features.load_state_dict(features)
    return model


def param_groups(model: nn.Module, freeze: str | None, backbone_lr_mult: float) -> list[dict[str, Any]]:
    """Optimizer parameter groups: freezing, and the backbone at ``backbone_lr_mult`` times the learning rate."""
    if freeze not in (None, "features"):
        raise ValueError(f"--freeze {freeze!r} is not valid; the only frozen part supported is 'features'")
    backbone = list(model.features.parameters())
    head = [p for n, p in model.named_parameters() if not n.startswith("features.")]
    if freeze == "features":
        for p in backbone:
            p.requires_grad_(False)
        return [{"params": head}]
    return [{"params": backbone, "lr_mult": backbone_lr_mult}, {"params": head}]


def classifiers() -> list[str]:
    """Registered models that build a :class:`~dlbox.models.classifier.Classifier` (their builders say so)."""
    import typing

    from dlbox.models.registry import builder_of

    return [n for n in list_models() if typing.get_type_hints(builder_of(n)).get("return") is Classifier]
