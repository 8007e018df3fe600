"""Building the detector a run trains: anchors from the data (notes 3.12.1) and, with ``--init``, a backbone (notes 3.6).

- anchors: ``detect.anchors`` as given, or k-means (distance ``1 - IoU``) on the training boxes with as
  many anchors as the model's default set (9 for ``yolov3``, 6 for ``yolov3-tiny``).
- ``--init RUN_DIR``: a ``dlbox classify`` run of ``darknet53`` (for ``yolov3``) or ``darknet_tiny``
  (for ``yolov3-tiny``); its ``features`` become the detector's ``features``. The width, depth and
  input channels are the classifier's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.data.bundle import DataBundle
from dlbox.detection.anchors import AnchorFit, box_sizes, kmeans_anchors
from dlbox.models import create_model

#: The darknet classifier whose ``features`` each detector takes (notes 3.6).
BACKBONE_OF = {"yolov3": "darknet53", "yolov3-tiny": "darknet_tiny"}


def fit_anchors(boxes: torch.Tensor, labels: torch.Tensor, k: int, seed: int = 0) -> AnchorFit:
    """k-means anchors of the real boxes among ``boxes (N, M, 4)`` / ``labels (N, M)``."""
    wh = box_sizes(boxes, labels)
    if len(wh) < k:
        raise ValueError(f"k-means needs at least k={k} training boxes, the training split has {len(wh)}; set detect.anchors")
    return kmeans_anchors(wh, k=k, seed=seed)


def box_coding(assign: str) -> str:
    """The box coding (:data:`dlbox.detection.coder.CODINGS`) that the targets of ``detect.assign`` are encoded in."""
    return "yolov5" if assign == "neighbours" else "yolov3"


def build_model(cfg: Any, bundle: DataBundle) -> nn.Module:
    name = cfg.model.name
    if name not in BACKBONE_OF:
        raise ValueError(f"--model {name!r} is not a detector; detectors: {', '.join(BACKBONE_OF)}")
    kwargs = dict(cfg.model.kwargs)
    for key in ("anchors", "multiscale", "num_classes", "in_channels", "image_size", "box_coding"):
        if key in kwargs:
            raise ValueError(f"--model-arg {key} is set by dlbox detect itself; use " + (
                f"--{key} (detect.{key})" if key in ("anchors", "multiscale") else
                "--assign (detect.assign: neighbours decodes by yolov5, the others by yolov3)" if key == "box_coding" else "the dataset"))
    # the neighbour cells' targets are encoded in YOLOv5's coding (detection.assign.assign_targets_neighbours)
    kwargs["box_coding"] = box_coding(cfg.detect.assign)
    source = _backbone_source(cfg, name, kwargs) if cfg.init else None
    if source is not None:  # the backbone's shape is the classifier's
        kwargs.update({k: source["kwargs"].get(k, 1.0) for k in ("width", "depth")})
    shape = {"in_channels": bundle.in_channels, "num_classes": bundle.num_classes, "image_size": list(bundle.image_size)}
    probe = create_model(name, **shape, **kwargs, multiscale=cfg.detect.multiscale)
    anchors = cfg.detect.anchors
    if anchors is None:
        k = probe.anchors.shape[0] * probe.anchors.shape[1]
        anchors = fit_anchors(bundle.train["boxes"], bundle.train["box_labels"], k, cfg.train.seed).anchors
    anchors = [[round(float(w), 3), round(float(h), 3)] for w, h in torch.as_tensor(anchors).tolist()]
    model = create_model(name, **shape, **kwargs, anchors=anchors, multiscale=cfg.detect.multiscale)
    if source is not None:
        _load_features(model, Path(cfg.init), source, bundle.in_channels)
    return model


def _backbone_source(cfg: Any, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The classifier run's model.json; a width or depth set (other than the default) must be the classifier's."""
    from dlbox.model_io import read_model_json
    from dlbox.tasks.detect.config import DetectConfig

    source = read_model_json(cfg.init)
    want = BACKBONE_OF[name]
    if source.get("name") != want:
        raise ValueError(f"--init {cfg.init}: a {name} detector takes the features of a {want} classifier, that run trained {source.get('name')!r}")
    defaults = DetectConfig().model.kwargs
    for key in ("width", "depth"):
        chosen = key in kwargs and kwargs[key] != defaults.get(key)
        if chosen and kwargs[key] != source["kwargs"].get(key, 1.0):
            raise ValueError(f"--init {cfg.init}: its backbone has {key}={source['kwargs'].get(key, 1.0)} but --model-arg {key}={kwargs[key]}; leave {key} out")
    return source


def _load_features(model: nn.Module, run_dir: Path, source: dict[str, Any], in_channels: int) -> None:
    from dlbox.model_io import load_state_file

    src_channels = source["kwargs"].get("in_channels", 3)
    if src_channels != in_channels:
        raise ValueError(f"--init {run_dir}: that backbone takes {src_channels}-channel images but this dataset has {in_channels}")
    state = load_state_file(run_dir / "model.safetensors")
    features = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    model.features.load_state_dict(features)
