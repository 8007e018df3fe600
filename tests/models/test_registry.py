"""Every registered model honours the classifier contract; the registry rejects duplicates and unknown names."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dlbox.models import create_model, list_models, register_model
from dlbox.models import registry

# (in_channels, image_size, num_classes)
SHAPES = [(1, 8, 10), (3, 32, 3)]
EXTRA_KWARGS = {"torchvision": {"arch": "resnet18"}, "darknet53": {"width": 0.125, "depth": 0.34}, "darknet_tiny": {"width": 0.125}}

# Every registered model belongs to one kind, each with its own contract test below. A newly
# registered model fails test_every_registered_model_has_a_kind until it is listed here.
CLASSIFIERS = {"mlp", "cnn", "resnet", "resnet18", "xception", "torchvision", "darknet53", "darknet_tiny"}
DETECTORS = {"yolov3": {"width": 0.125, "depth": 0.34}, "yolov3-tiny": {"width": 0.125}}
SEGMENTERS = {"unet", "fcn8s", "fcn16s", "fcn32s"}
IMAGE_TO_IMAGE = {"conv_autoencoder": {"in_channels": 1, "image_size": 8}, "style_transformer": {}}
GENERATIVE = {"vae", "realnvp", "diffusion_unet", "dcgan_generator", "dcgan_discriminator", "gan"}  # contract: tests/models/test_generative_models.py


def test_every_registered_model_has_a_kind():
    unknown = set(list_models()) - CLASSIFIERS - SEGMENTERS - set(IMAGE_TO_IMAGE) - GENERATIVE - set(DETECTORS)
    assert not unknown, f"add {sorted(unknown)} to a kind in {__file__}"


@pytest.mark.parametrize("name", sorted(SEGMENTERS & set(list_models())))
def test_every_segmenter_maps_images_to_class_maps(name):
    torch.manual_seed(0)
    model = create_model(name, in_channels=3, num_classes=4, image_size=32)
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 4, 32, 32)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    again = create_model(name, in_channels=3, num_classes=4, image_size=32)
    assert list(again.state_dict()) == list(model.state_dict())


@pytest.mark.parametrize("name", sorted(set(IMAGE_TO_IMAGE) & set(list_models())))
def test_every_image_to_image_model_keeps_the_shape(name):
    torch.manual_seed(0)
    model = create_model(name, **IMAGE_TO_IMAGE[name])
    c = IMAGE_TO_IMAGE[name].get("in_channels", 3)
    s = IMAGE_TO_IMAGE[name].get("image_size", 32)
    x = torch.rand(2, c, s, s, requires_grad=True)
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def _build(name, c, s, k):
    torch.manual_seed(0)
    return create_model(name, in_channels=c, image_size=s, num_classes=k, **EXTRA_KWARGS.get(name, {}))


def test_expected_families_registered():
    assert {"mlp", "cnn", "resnet", "xception", "torchvision"} <= set(list_models())
    assert list_models() == sorted(list_models())


@pytest.mark.parametrize(("c", "s", "k"), SHAPES, ids=["1x8x8-10", "3x32x32-3"])
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_every_classifier_builds_runs_and_names_layers_stably(name, c, s, k):
    model = _build(name, c, s, k)
    assert isinstance(model.features, nn.Module) and isinstance(model.head, nn.Module)
    assert model.dlbox_config["name"] == name
    x = torch.rand(2, c, s, s, requires_grad=True)
    logits = model(x)
    assert logits.shape == (2, k)
    assert torch.isfinite(logits).all()
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    params = [p for p in model.parameters() if p.requires_grad]
    assert params and all(p.grad is not None for p in params), [n for n, p in model.named_parameters() if p.grad is None]
    names = [n for n, _ in model.named_modules()]
    assert all(n.split(".")[0] in ("", "features", "head") for n in names)
    # the last layer is a Linear to num_classes inside head
    last = [m for m in model.head.modules() if isinstance(m, nn.Linear)][-1]
    assert last.out_features == k
    model.eval()  # dropout off: forward must be exactly head(features(x))
    with torch.no_grad():
        assert torch.allclose(model(x), model.head(model.features(x)))
    again = _build(name, c, s, k)
    assert [n for n, _ in again.named_modules()] == names
    assert [(n, p.shape) for n, p in again.named_parameters()] == [(n, p.shape) for n, p in model.named_parameters()]
    assert list(again.state_dict()) == list(model.state_dict())


@pytest.mark.parametrize("name", sorted(CLASSIFIERS - {"torchvision"}))
def test_dlbox_families_name_final_layer_head_fc(name):
    modules = dict(_build(name, 1, 8, 10).named_modules())
    assert isinstance(modules.get("head.fc"), nn.Linear)
    assert modules["head.fc"].out_features == 10


def test_create_model_records_kwargs():
    model = create_model("mlp", in_channels=1, image_size=8, num_classes=4, depth=1, width=8)
    assert model.dlbox_config == {"name": "mlp", "kwargs": {"in_channels": 1, "image_size": 8, "num_classes": 4, "depth": 1, "width": 8}}


def test_duplicate_registration_is_error(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    original = registry._REGISTRY["mlp"]
    with pytest.raises(ValueError, match="mlp"):
        register_model("mlp")(lambda **kw: nn.Linear(1, 1))
    assert registry._REGISTRY["mlp"] is original


def test_register_new_model(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register_model("tiny_test_model")
    def tiny(num_classes=2, **kw):
        return nn.Linear(3, num_classes)

    assert "tiny_test_model" in list_models()
    assert create_model("tiny_test_model", num_classes=5).out_features == 5
    with pytest.raises(ValueError):
        register_model("tiny_test_model")(tiny)


def test_unknown_model_lists_valid_names():
    with pytest.raises(KeyError) as exc:
        create_model("resnet9000")
    msg = exc.value.args[0]
    assert "resnet9000" in msg
    for name in list_models():
        assert name in msg


@pytest.mark.parametrize(("arch", "mean"), [("resnet18", 0.485), ("googlenet", 0.5)])
def test_torchvision_input_normalisation_matches_its_weights(arch, mean):
    # googlenet's TF-ported weights expect (x - 0.5) / 0.5, which torchvision applies inside forward;
    # splitting the net into features/head must keep it.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = create_model("torchvision", arch=arch, num_classes=3)
    assert float(model.features.normalize.mean.flatten()[0]) == pytest.approx(mean)


@pytest.mark.parametrize("name", sorted(set(DETECTORS) & set(list_models())))
def test_every_detector_predicts_every_scale(name):
    torch.manual_seed(0)
    model = create_model(name, in_channels=3, num_classes=4, image_size=64, **DETECTORS[name])
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    out = model(x)
    assert len(out) == len(model.strides) == model.anchors.shape[0]
    for o, s in zip(out, model.strides):
        assert o.shape == (2, model.anchors.shape[1], 64 // s, 64 // s, 5 + 4)
    sum(o.sum() for o in out).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    again = create_model(name, in_channels=3, num_classes=4, image_size=64, **DETECTORS[name])
    assert list(again.state_dict()) == list(model.state_dict())
