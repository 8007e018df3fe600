"""Building the model a segmentation run trains: a U-Net, or an FCN from scratch or from a classification run.

``--init RUN_DIR`` (FCN only, notes 3.11.1): the classification run's
architecture becomes the FCN's backbone and its trained features and dense
hidden layers, convolutionalized, its starting weights; the score and skip
layers are new.
"""

from __future__ import annotations

from pathlib import Path

import torch.nn as nn

from dlbox.data.bundle import DataBundle
from dlbox.models import create_model
from dlbox.tasks.segment.config import SegmentConfig

SEGMENTATION_MODELS = ("unet", "fcn8s", "fcn16s", "fcn32s")
# The task's U-Net unless --model-arg says otherwise: small enough to train in minutes on a CPU (the paper's is
# depth 4, width 64, the builder's defaults). Applied here rather than in model.kwargs, so --model fcn8s gets none.
UNET_DEFAULTS = {"depth": 3, "width": 8}


def check_model_choice(cfg: SegmentConfig) -> None:
    """A registered segmentation model; ``--init`` only for an FCN without its own backbone (raises ValueError)."""
    name = cfg.model.name
    if name not in SEGMENTATION_MODELS:
        raise ValueError(f"--model: unknown segmentation model {name!r}; valid: {', '.join(SEGMENTATION_MODELS)}")
    if cfg.init and not name.startswith("fcn"):
        raise ValueError(f"--init starts an FCN from a classification run; {name} has no classifier backbone (use fcn8s, fcn16s or fcn32s)")
    if cfg.init and "backbone" in cfg.model.kwargs:
        raise ValueError("give either --init RUN_DIR or a backbone model argument, not both (the run's model is the backbone)")


def build_segmentation_model(cfg: SegmentConfig, bundle: DataBundle) -> nn.Module:
    from dlbox.models.fcn import backbone_spec, load_classifier_weights

    check_model_choice(cfg)
    name = cfg.model.name
    shape = {"in_channels": bundle.in_channels, "num_classes": bundle.num_classes, "image_size": list(bundle.image_size)}
    kwargs = {**(UNET_DEFAULTS if name == "unet" else {}), **cfg.model.kwargs, **shape}
    if cfg.init is None:
        if name.startswith("fcn"):  # recorded explicitly, so model.json rebuilds exactly this backbone
            kwargs["backbone"] = backbone_spec(kwargs.get("backbone"), **shape)
        return create_model(name, **kwargs)
    classifier, spec = _classifier(Path(cfg.init))
    model = create_model(name, **{**kwargs, "backbone": spec})
    load_classifier_weights(model, classifier)
    return model


def _classifier(run_dir: Path) -> tuple[nn.Module, dict]:
    from dlbox.model_io import load_model, read_model_json
    from dlbox.models.classifier import Classifier

    source = read_model_json(run_dir)
    classifier = load_model(run_dir)
    if not isinstance(classifier, Classifier):
        raise ValueError(f"--init {run_dir}: its model ({source['name']}) is not a dlbox classifier (features + head)")
    return classifier, {"name": source["name"], "kwargs": source["kwargs"]}
