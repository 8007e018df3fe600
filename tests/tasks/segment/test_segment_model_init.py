"""The model a segment run trains: the task's U-Net defaults, FCNs from a classify run, backbone learning rates."""

from __future__ import annotations

import pytest
import torch

from dlbox.data.bundle import DataBundle
from dlbox.tasks.segment.config import SegmentConfig
from dlbox.tasks.segment.model_init import UNET_DEFAULTS, build_segmentation_model
from dlbox.tasks.segment.train import param_groups

BUNDLE = DataBundle(train={}, val={}, test={}, class_names=["bg", "a", "b"], in_channels=3, image_size=(32, 32), info={})


def _cfg(name: str, **kwargs) -> SegmentConfig:
    cfg = SegmentConfig()
    cfg.model.name, cfg.model.kwargs = name, kwargs
    return cfg


def test_the_task_unet_defaults_apply_to_the_unet_only_and_yield_to_given_kwargs():
    model = build_segmentation_model(_cfg("unet"), BUNDLE)
    assert {k: model.dlbox_config["kwargs"][k] for k in UNET_DEFAULTS} == UNET_DEFAULTS
    assert model.dlbox_config["kwargs"]["num_classes"] == 3
    wider = build_segmentation_model(_cfg("unet", width=4, depth=2), BUNDLE)
    assert wider.dlbox_config["kwargs"]["width"] == 4 and wider.depth == 2
    fcn = build_segmentation_model(_cfg("fcn32s"), BUNDLE)  # no U-Net keywords reach the FCN builder
    assert "depth" not in fcn.dlbox_config["kwargs"] and fcn.dlbox_config["kwargs"]["backbone"]["name"] == "cnn"


@pytest.fixture
def classifier_run(tmp_path):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    torch.manual_seed(0)
    model = create_model("cnn", in_channels=3, num_classes=3, image_size=32, channels=[4, 6, 8, 8], head_pool="flatten", hidden=[12])
    save_model(tmp_path, model, {"task": "classify", "class_names": ["x", "y", "z"], "input": {"channels": 3, "size": [32, 32]}})
    return tmp_path


def test_backbone_lr_mult_puts_exactly_the_features_in_the_slower_group(classifier_run):
    cfg = _cfg("fcn8s")
    cfg.init, cfg.optim.lr, cfg.optim.backbone_lr_mult = str(classifier_run), 0.01, 0.1
    model = build_segmentation_model(cfg, BUNDLE)
    backbone, rest = param_groups(cfg, model)["model"]
    from dlbox.engine.optim import build_optimizer

    built = build_optimizer([backbone, rest], cfg.optim).param_groups  # optim.lr is the one learning rate
    assert built[0]["lr"] == pytest.approx(0.001) and built[1]["lr"] == pytest.approx(0.01)
    assert {id(p) for p in backbone["params"]} == {id(p) for p in model.features.parameters()}
    every = [id(p) for p in backbone["params"] + rest["params"]]
    assert sorted(every) == sorted(id(p) for p in model.parameters()) and len(set(every)) == len(every)
    cfg.optim.backbone_lr_mult = 1.0
    assert param_groups(cfg, model)["model"] == list(model.parameters())  # one group: nothing to separate
