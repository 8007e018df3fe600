"""Detector building (anchors by k-means, --init from a darknet classifier) and the detection step."""

from __future__ import annotations

import pytest
import torch

from dlbox.detection.anchors import group_anchors
from dlbox.tasks.detect.data import load_detection
from dlbox.tasks.detect.model_init import build_model, fit_anchors
from dlbox.tasks.detect.step import detection_loss


@pytest.fixture(scope="module")
def bundle(tiny_cfg):
    cfg = tiny_cfg(None)
    return load_detection(cfg.data, max_objects=cfg.detect.max_objects)


def test_anchors_are_kmeans_of_the_training_boxes_grouped_by_stride(tiny_cfg, bundle):
    model = build_model(tiny_cfg(None), bundle)
    fit = fit_anchors(bundle.train["boxes"], bundle.train["box_labels"], 9)
    assert model.strides == (32, 16, 8) and model.anchors.shape == (3, 3, 2)
    assert torch.allclose(model.anchors, group_anchors(fit.anchors, (32, 16, 8)), atol=1e-3)
    assert model.dlbox_config["kwargs"]["anchors"] == [[round(w, 3), round(h, 3)] for w, h in fit.anchors.tolist()]
    tiny = build_model(tiny_cfg(None, model={"name": "yolov3-tiny"}), bundle)
    assert tiny.anchors.shape == (2, 3, 2)  # k = 6 for the tiny model


def test_given_anchors_and_multiscale_reach_the_model(tiny_cfg, bundle):
    anchors = [[8, 8], [12, 12], [16, 16], [20, 20], [24, 24], [28, 28], [32, 32], [36, 36], [40, 40]]
    model = build_model(tiny_cfg(None, detect={"anchors": anchors, "multiscale": "single"}), bundle)
    assert model.strides == (32,) and model.anchors.shape == (1, 9, 2) and model.anchors[0, 0].tolist() == [8.0, 8.0]


@pytest.mark.parametrize(
    "model, kwargs, message",
    [("cnn", {}, "not a detector"), ("yolov3", {"anchors": [[1, 1]]}, "--anchors (detect.anchors)"),
     ("yolov3", {"num_classes": 2}, "set by dlbox detect itself"), ("yolov3", {"box_coding": "yolov5"}, "--assign (detect.assign")],
)
def test_model_errors(tiny_cfg, bundle, model, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_model(tiny_cfg(None, model={"name": model, "kwargs": {"width": 0.125, **kwargs}}), bundle)


def _classifier_run(tmp_path, name="darknet53", **kwargs):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run = tmp_path / name
    run.mkdir()
    torch.manual_seed(1)
    clf = create_model(name, in_channels=3, num_classes=3, width=0.125, depth=0.34, **kwargs)
    save_model(run, clf, {"task": "classify", "class_names": ["a", "b", "c"], "input": {"channels": 3, "size": [64, 64]}})
    return run, clf


def test_init_takes_the_classifier_backbone(tmp_path, tiny_cfg, bundle):
    run, clf = _classifier_run(tmp_path)
    model = build_model(_with_init(tiny_cfg, run), bundle)
    for key, value in clf.features.state_dict().items():
        assert torch.equal(model.features.state_dict()[key], value), key
    scratch = build_model(tiny_cfg(None), bundle)
    assert not torch.equal(scratch.features.state_dict()["stem.conv.weight"], clf.features.state_dict()["stem.conv.weight"])


def _with_init(tiny_cfg, run):
    cfg = tiny_cfg(None)
    cfg.init = str(run)
    cfg.model.kwargs = {}  # width and depth come from the classifier
    return cfg


def test_init_with_the_default_width_takes_the_classifier_shape(tmp_path, tiny_cfg, bundle):
    from dlbox.models import create_model
    from dlbox.model_io import save_model

    (tmp_path / "wide").mkdir()
    clf = create_model("darknet53", num_classes=3, width=0.25, depth=0.34)
    save_model(tmp_path / "wide", clf, {"task": "classify", "class_names": ["a", "b", "c"], "input": {"channels": 3, "size": [64, 64]}})
    cfg = tiny_cfg(None)
    cfg.init = str(tmp_path / "wide")
    cfg.model.kwargs = {"width": 0.125, "depth": 0.34}  # the detect defaults: not a choice that conflicts
    model = build_model(cfg, bundle)
    assert model.dlbox_config["kwargs"]["width"] == 0.25
    assert torch.equal(model.features.state_dict()["stem.conv.weight"], clf.features.state_dict()["stem.conv.weight"])


def test_init_errors_name_the_mismatch(tmp_path, tiny_cfg, bundle):
    run, _ = _classifier_run(tmp_path, "darknet_tiny")
    with pytest.raises(ValueError, match="takes the features of a darknet53 classifier, that run trained 'darknet_tiny'"):
        build_model(_with_init(tiny_cfg, run), bundle)
    run53, _ = _classifier_run(tmp_path)
    cfg = _with_init(tiny_cfg, run53)
    cfg.model.kwargs = {"width": 0.25}
    with pytest.raises(ValueError, match="width=0.125 but --model-arg width=0.25"):
        build_model(cfg, bundle)


def test_detection_loss_parts_and_a_few_steps_fit_one_batch(tiny_cfg, bundle):
    torch.manual_seed(0)
    cfg = tiny_cfg(None)
    model = build_model(cfg, bundle)
    x, boxes, labels = bundle.train["image"][:8], bundle.train["boxes"][:8], bundle.train["box_labels"][:8]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for loss in ("bce", "paper"):
        parts = detection_loss(model, model(x), boxes, labels, loss, 0.5)
        assert set(parts) == {"box", "obj", "noobj", "cls", "total"} and all(torch.isfinite(v) for v in parts.values())
    for _ in range(25):
        total = detection_loss(model, model(x), boxes, labels, "bce", 0.5)["total"]
        opt.zero_grad()
        total.backward()
        opt.step()
        losses.append(float(total.detach()))
    assert losses[-1] < 0.5 * losses[0], losses


def test_single_label_keeps_each_box_s_best_class_only():
    from types import SimpleNamespace

    from dlbox.tasks.detect.step import to_detections

    net = SimpleNamespace(anchors=torch.tensor([[[16.0, 16.0]]]), strides=(32,))
    out = torch.full((1, 1, 2, 2, 5 + 3), -10.0)  # (B, A, H, W, 5 + C): one confident box, two likely classes
    out[0, 0, 1, 0, :5] = torch.tensor([0.0, 0.0, 0.0, 0.0, 10.0])
    out[0, 0, 1, 0, 5:] = torch.tensor([3.0, 2.0, -5.0])
    multi = to_detections(net, [out], 0.25, 0.45, 10, multi_label=True)
    single = to_detections(net, [out], 0.25, 0.45, 10, multi_label=False)
    assert multi.labels[0].tolist() == [0, 1] and single.labels[0].tolist() == [0]
    assert single.boxes[0, 0].tolist() == [8.0, 40.0, 24.0, 56.0]  # cell (x 0, y 1) centre at (16, 48), anchor 16 x 16
    assert torch.allclose(single.scores, multi.scores[:, :1])


def test_the_assignment_chooses_the_model_s_box_coding_and_a_mismatch_is_refused(tiny_cfg, bundle):
    torch.manual_seed(0)
    x, boxes, labels = bundle.train["image"][:8], bundle.train["boxes"][:8], bundle.train["box_labels"][:8]
    notes = build_model(tiny_cfg(None), bundle)
    near = build_model(tiny_cfg(None, detect={"assign": "neighbours"}), bundle)
    assert notes.box_coding == "yolov3" and near.box_coding == "yolov5"
    parts = detection_loss(near, near(x), boxes, labels, "bce", 0.5, "neighbours")
    assert all(torch.isfinite(v) for v in parts.values())
    with pytest.raises(ValueError, match="encodes targets by 'yolov5' but the model decodes by 'yolov3'"):
        detection_loss(notes, notes(x), boxes, labels, "bce", 0.5, "neighbours")
    with pytest.raises(ValueError, match="encodes targets by 'yolov3' but the model decodes by 'yolov5'"):
        detection_loss(near, near(x), boxes, labels, "bce", 0.5, "multi")


def test_obj_target_iou_and_loss_weights_change_the_bce_loss_as_documented(tiny_cfg, bundle):
    torch.manual_seed(0)
    model = build_model(tiny_cfg(None), bundle)
    x, boxes, labels = bundle.train["image"][:8], bundle.train["boxes"][:8], bundle.train["box_labels"][:8]
    out = model(x)
    one = detection_loss(model, out, boxes, labels, "bce", 0.5, "multi")
    iou = detection_loss(model, out, boxes, labels, "bce", 0.5, "multi", obj_target="iou")
    for key in ("box", "noobj", "cls"):  # only the positives' objectness target changes
        torch.testing.assert_close(iou[key], one[key])
    assert not torch.allclose(iou["obj"], one["obj"])
    w = detection_loss(model, out, boxes, labels, "bce", 0.5, "multi", weights=(2.0, 0.5, 3.0))
    torch.testing.assert_close(w["total"], 2 * one["box"] + 0.5 * (one["obj"] + one["noobj"]) + 3 * one["cls"])
    with pytest.raises(ValueError, match="apply to the bce loss only"):
        detection_loss(model, out, boxes, labels, "paper", 0.5, "multi", weights=(2.0, 1.0, 1.0))
    paper = detection_loss(model, out, boxes, labels, "paper", 0.5, "multi")  # the notes' loss: target 1 always
    torch.testing.assert_close(detection_loss(model, out, boxes, labels, "paper", 0.5, "multi", obj_target="iou")["obj"], paper["obj"])


def test_to_detections_decodes_by_the_model_s_coding():
    from types import SimpleNamespace

    from dlbox.tasks.detect.step import to_detections

    out = torch.full((1, 1, 2, 2, 5 + 1), -10.0)
    out[0, 0, 1, 0, :6] = torch.tensor([0.0, 0.0, 0.0, 0.0, 10.0, 10.0])  # sigma(0) = 0.5 in cell (x 0, y 1)
    for coding, centre in (("yolov3", (16.0, 48.0)), ("yolov5", (16.0, 48.0))):
        net = SimpleNamespace(anchors=torch.tensor([[[16.0, 16.0]]]), strides=(32,), box_coding=coding)
        box = to_detections(net, [out], 0.25, 0.45, 10).boxes[0, 0].tolist()
        assert box == [centre[0] - 8, centre[1] - 8, centre[0] + 8, centre[1] + 8]
    out[0, 0, 1, 0, :2] = 2.0  # sigma(2) = 0.881: yolov3 0.881 cells, yolov5 2 * 0.881 - 0.5 = 1.262 cells
    s = float(torch.sigmoid(torch.tensor(2.0)))
    v3 = to_detections(SimpleNamespace(anchors=torch.tensor([[[16.0, 16.0]]]), strides=(32,), box_coding="yolov3"), [out], 0.25, 0.45, 10)
    v5 = to_detections(SimpleNamespace(anchors=torch.tensor([[[16.0, 16.0]]]), strides=(32,), box_coding="yolov5"), [out], 0.25, 0.45, 10)
    assert v3.boxes[0, 0, 0].item() == pytest.approx(s * 32 - 8, abs=1e-4)
    assert v5.boxes[0, 0, 0].item() == pytest.approx((2 * s - 0.5) * 32 - 8, abs=1e-4)
