"""YOLOv3 and YOLOv3-tiny (notes 3.12.1, 3.12.2): shapes per scale, the four multi-scale approaches,
the published sizes, and a short overfit that ends in the right detections."""

import pytest
import torch
import torch.nn as nn

from dlbox.data.shapes import generate_shapes
from dlbox.detection.assign import assign_targets
from dlbox.detection.loss import yolo_bce_loss, yolo_paper_loss
from dlbox.detection.postprocess import postprocess
from dlbox.models import create_model, list_models
from dlbox.models.yolov3 import MULTISCALE
from dlbox.ops.anchors import yolov3_anchors, yolov3_tiny_anchors
from dlbox.ops.boxes import box_iou

DETECTORS = ("yolov3", "yolov3-tiny")
SMALL = {"width": 0.125, "depth": 0.34}


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_detectors_are_registered_under_the_issue_names():
    assert set(DETECTORS) <= set(list_models()) and "yolov3_tiny" not in list_models()  # one name per model
    assert create_model("yolov3-tiny", num_classes=2, image_size=64, **SMALL).dlbox_config["name"] == "yolov3-tiny"


def test_grids_are_13_26_52_at_416():
    torch.manual_seed(0)
    model = create_model("yolov3", num_classes=2, image_size=416, width=1 / 16, depth=0.2)
    with torch.no_grad():
        out = model(torch.rand(1, 3, 416, 416))
    assert [tuple(o.shape) for o in out] == [(1, 3, 13, 13, 7), (1, 3, 26, 26, 7), (1, 3, 52, 52, 7)]
    assert model.strides == (32, 16, 8)
    tiny = create_model("yolov3-tiny", num_classes=2, image_size=416, width=1 / 16)
    with torch.no_grad():
        assert [tuple(o.shape) for o in tiny(torch.rand(1, 3, 416, 416))] == [(1, 3, 13, 13, 7), (1, 3, 26, 26, 7)]


# The published Darknet weight files hold, per conv, its weights (+ bias, or BN bias, scale, mean and
# variance) after a 5-word header: yolov3.weights is 248,007,048 bytes = 62,001,762 floats
# (github.com/AlexeyAB/darknet/issues/1910), yolov3-tiny.weights 35,434,956 bytes = 8,858,739 floats.
@pytest.mark.parametrize(("name", "floats"), [("yolov3", 62_001_762), ("yolov3-tiny", 8_858_739)])
def test_full_size_matches_the_published_weight_files(name, floats):
    with torch.device("meta"):  # shapes only, no memory
        model = create_model(name, num_classes=80, image_size=416)
    running = sum(b.numel() for k, b in model.named_buffers() if k.endswith(("running_mean", "running_var")))
    assert n_params(model) + running + 5 == floats


def test_parameters_shrink_with_width_and_depth():
    with torch.device("meta"):
        by_width = [n_params(create_model("yolov3", num_classes=3, width=w)) for w in (1.0, 0.5, 0.25, 0.125)]
        by_depth = [n_params(create_model("yolov3", num_classes=3, width=0.25, depth=d)) for d in (1.0, 0.5, 0.25)]
        tiny = [n_params(create_model("yolov3-tiny", num_classes=3, width=w)) for w in (1.0, 0.5)]
    assert by_width == sorted(by_width, reverse=True) and len(set(by_width)) == 4
    assert by_width[0] / by_width[1] == pytest.approx(4, rel=0.05)  # convolutions scale with width^2
    assert by_depth == sorted(by_depth, reverse=True) and len(set(by_depth)) == 3
    assert tiny[0] > tiny[1]


@pytest.mark.parametrize("name", ["yolov3", "yolov3-tiny"])
@pytest.mark.parametrize("multiscale", MULTISCALE)
def test_every_multiscale_approach_runs_with_its_own_scales(name, multiscale):
    torch.manual_seed(0)
    model = create_model(name, num_classes=3, image_size=64, multiscale=multiscale, **SMALL)
    n_anchors = 9 if name == "yolov3" else 6
    full = (32, 16, 8) if name == "yolov3" else (32, 16)
    expected_strides = (32,) if multiscale == "single" else full
    assert model.strides == expected_strides
    assert tuple(model.anchors.shape) == (len(expected_strides), n_anchors // len(expected_strides), 2)
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    out = model(x)
    assert [tuple(o.shape) for o in out] == [(2, n_anchors // len(expected_strides), 64 // s, 64 // s, 8) for s in expected_strides]
    sum(o.sum() for o in out).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters()), [n for n, p in model.named_parameters() if p.grad is None]
    # the largest anchors sit on the coarsest map
    areas = model.anchors.prod(dim=-1)  # (L, A)
    assert all(areas[i].min() >= areas[i + 1].max() for i in range(len(areas) - 1))


def test_approaches_differ_in_structure():
    sizes = {ms: n_params(create_model("yolov3", num_classes=3, image_size=64, multiscale=ms, **SMALL)) for ms in MULTISCALE}
    assert sizes["single"] < sizes["hierarchy"] < sizes["fpn"]  # fpn adds laterals and wider necks
    fpn = create_model("yolov3", num_classes=3, image_size=64, multiscale="fpn", **SMALL)
    hier = create_model("yolov3", num_classes=3, image_size=64, multiscale="hierarchy", **SMALL)
    assert len(fpn.laterals) == 2 and len(hier.laterals) == 0


def test_features_is_the_transferable_backbone_and_anchors_travel_with_the_weights():
    model = create_model("yolov3", num_classes=3, image_size=64, **SMALL)
    assert [n for n, _ in model.features.named_children()] == ["stem", "stage1", "stage2", "stage3", "stage4", "stage5"]
    assert model.features(torch.rand(1, 3, 64, 64)).shape == (1, 128, 2, 2)  # 1024 * 0.125 channels at stride 32
    assert "anchors" in model.state_dict()
    # coarsest map first, each group by area: flipping the groups lists the published anchors in order
    torch.testing.assert_close(model.anchors.flip(0).reshape(-1, 2), yolov3_anchors(64))
    tiny = create_model("yolov3-tiny", num_classes=3, image_size=(64, 128), **SMALL)
    torch.testing.assert_close(tiny.anchors.flip(0).reshape(-1, 2), yolov3_tiny_anchors((64, 128)))
    custom = [[w, w] for w in range(1, 10)]
    fitted = create_model("yolov3", num_classes=3, image_size=64, anchors=custom, **SMALL)
    assert fitted.anchors[0].tolist() == [[7, 7], [8, 8], [9, 9]] and fitted.anchors[2].tolist() == [[1, 1], [2, 2], [3, 3]]
    assert fitted.to(torch.float64).anchors.dtype == torch.float64


def one_scene():
    data = generate_shapes(1, seed=0, size=64, min_objects=2, max_objects=2)
    return data["image"], data["boxes"], data["box_labels"]


def train(model, loss_fn, steps, lr=3e-3):
    x, boxes, labels = one_scene()
    opt = torch.optim.Adam(model.parameters(), lr)
    losses = []
    for _ in range(steps):
        out = model(x)
        targets = assign_targets(boxes, labels, model.anchors, model.strides, [o.shape[2:4] for o in out])
        parts = loss_fn(out, targets, model.anchors, model.strides)
        opt.zero_grad()
        parts["total"].backward()
        opt.step()
        losses.append(float(parts["total"].detach()))
    return losses


@pytest.mark.parametrize("loss_fn", [yolo_paper_loss, yolo_bce_loss])
def test_two_steps_on_one_image_reduce_the_loss(loss_fn):
    torch.manual_seed(0)
    model = create_model("yolov3", num_classes=3, image_size=64, **SMALL)
    losses = train(model, loss_fn, 3)
    assert losses[2] < losses[0]


def test_short_overfit_detects_the_shapes():
    torch.manual_seed(0)
    model = create_model("yolov3-tiny", num_classes=3, image_size=64, **SMALL)
    train(model, yolo_bce_loss, 60)
    x, boxes, labels = one_scene()
    # batch-norm with one image: evaluate with batch statistics (running ones lag the moving weights)
    with torch.no_grad():
        det = postprocess(model(x), model.anchors, model.strides, conf_threshold=0.5, iou_threshold=0.45)
    b, s, lab = det.per_image()[0]
    assert len(b) == 2
    iou = box_iou(b, boxes[0])  # (2, 2)
    match = iou.argmax(dim=1)
    assert sorted(match.tolist()) == [0, 1] and (iou.max(dim=1).values > 0.7).all()
    assert torch.equal(lab, labels[0][match])


def test_bad_configurations_are_named():
    with pytest.raises(ValueError, match="multiple of 32"):
        create_model("yolov3", image_size=100, **SMALL)
    with pytest.raises(ValueError, match="valid: pyramid, single, hierarchy, fpn"):
        create_model("yolov3", image_size=64, multiscale="ssd", **SMALL)
    with pytest.raises(ValueError, match="cannot be split evenly over 3 strides"):
        create_model("yolov3", image_size=64, anchors=[[1, 1]] * 8, **SMALL)
    model = create_model("yolov3", image_size=64, **SMALL)
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.rand(1, 3, 48, 64))


@pytest.mark.parametrize("name", DETECTORS)
def test_detector_contract_for_the_registry(name):
    """What tests/models/test_registry.py would check for a DETECTORS kind (the integrator adds it there)."""
    torch.manual_seed(0)
    model = create_model(name, in_channels=1, num_classes=4, image_size=32, **SMALL)
    assert model.dlbox_config == {"name": name, "kwargs": {"in_channels": 1, "num_classes": 4, "image_size": 32, **SMALL}}
    assert isinstance(model.features, nn.Module)
    out = model(torch.rand(2, 1, 32, 32))
    assert isinstance(out, list) and len(out) == len(model.strides) == model.anchors.shape[0]
    for o, s in zip(out, model.strides):
        assert o.shape == (2, model.anchors.shape[1], 32 // s, 32 // s, 5 + 4)
    again = create_model(name, in_channels=1, num_classes=4, image_size=32, **SMALL)
    assert list(again.state_dict()) == list(model.state_dict())


@pytest.mark.parametrize(("classifier", "detector"), [("darknet53", "yolov3"), ("darknet_tiny", "yolov3-tiny")])
def test_a_classifier_backbone_transfers_to_the_detector(classifier, detector):
    """notes 3.6: train darknet53 on a classification task, load its ``features`` into YOLOv3."""
    torch.manual_seed(0)
    clf = create_model(classifier, in_channels=3, num_classes=5, image_size=64, **SMALL)
    assert clf(torch.rand(2, 3, 64, 64)).shape == (2, 5)
    det = create_model(detector, in_channels=3, num_classes=2, image_size=64, **SMALL)
    state = {k[len("features."):]: v for k, v in clf.state_dict().items() if k.startswith("features.")}
    det.features.load_state_dict(state)  # strict: the same names and shapes
    clf.eval(), det.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(det.features(x), clf.features(x))
