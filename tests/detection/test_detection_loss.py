"""YOLOv3 losses against element-by-element formulas (notes 3.12.1) and torch's BCE / torchvision's CIoU."""

import math

import pytest
import torch
import torch.nn.functional as F

from dlbox.detection.assign import assign_targets
from dlbox.detection.coder import cell_grid
from dlbox.detection.loss import yolo_bce_loss, yolo_paper_loss
from dlbox.ops.anchors import group_anchors, yolov3_anchors
from dlbox.ops.boxes import ciou_loss

SIZE, C = 64, 3
STRIDES = (32, 16, 8)
GRIDS = [(SIZE // s, SIZE // s) for s in STRIDES]
ANCHORS = group_anchors(yolov3_anchors(SIZE), STRIDES)
BOXES = torch.tensor([[[4.0, 6, 20, 30], [30, 30, 60, 62], [0, 0, 0, 0]], [[10, 40, 26, 50], [0, 0, 0, 0], [0, 0, 0, 0]]])
LABELS = torch.tensor([[0, 2, -1], [1, -1, -1]])


def setup(seed=0):
    g = torch.Generator().manual_seed(seed)
    outputs = [torch.randn(2, 3, h, w, 5 + C, generator=g, dtype=torch.float64) for h, w in GRIDS]
    targets = assign_targets(BOXES, LABELS, ANCHORS, STRIDES, GRIDS)
    return outputs, targets


def sig(v):
    return 1 / (1 + math.exp(-v))


def test_paper_loss_equals_the_notes_written_out():
    outputs, targets = setup()
    outputs = [o.requires_grad_() for o in outputs]
    got = yolo_paper_loss(outputs, targets, ANCHORS, STRIDES, lambda_coord=5.0, lambda_noobj=0.5)
    loc = obj = noobj = cls = 0.0
    for p, t, anc, s in zip(outputs, targets, ANCHORS, STRIDES):
        b_n, a_n, h, w, _ = p.shape
        for b in range(b_n):
            for a in range(a_n):
                for j in range(h):
                    for i in range(w):
                        v = p[b, a, j, i].tolist()
                        conf = sig(v[4])
                        if t.obj[b, a, j, i]:
                            x1, y1, x2, y2 = t.boxes[b, a, j, i].tolist()
                            x_hat, y_hat = (x1 + x2) / 2 / s - i, (y1 + y2) / 2 / s - j
                            w_hat, h_hat = (x2 - x1) / (w * s), (y2 - y1) / (h * s)
                            pw, ph = anc[a].tolist()
                            bw, bh = pw * math.exp(v[2]) / (w * s), ph * math.exp(v[3]) / (h * s)
                            loc += (sig(v[0]) - x_hat) ** 2 + (sig(v[1]) - y_hat) ** 2
                            loc += (math.sqrt(bw) - math.sqrt(w_hat)) ** 2 + (math.sqrt(bh) - math.sqrt(h_hat)) ** 2
                            obj += (conf - 1) ** 2
                            label = int(t.labels[b, a, j, i])
                            cls += sum((sig(v[5 + c]) - (c == label)) ** 2 for c in range(C))
                        elif not t.ignore[b, a, j, i]:
                            noobj += conf**2
    expected = {"box": 5.0 * loc / 2, "obj": obj / 2, "noobj": 0.5 * noobj / 2, "cls": cls / 2}
    for k, v in expected.items():
        assert float(got[k].detach()) == pytest.approx(v, rel=1e-9), k
    assert float(got["total"].detach()) == pytest.approx(sum(expected.values()), rel=1e-9)
    got["total"].backward()
    assert all(o.grad is not None and torch.isfinite(o.grad).all() for o in outputs)


def perfect_outputs(targets, big=30.0):
    outs = []
    for t in targets:
        p = torch.zeros(*t.obj.shape, 5 + C, dtype=torch.float64)
        p[..., :4] = t.offsets.double()
        p[..., 4] = torch.where(t.obj, big, -big)
        hot = F.one_hot(t.labels.clamp(min=0), C).bool()
        p[..., 5:] = torch.where(hot & t.obj[..., None], big, -big)
        outs.append(p)
    return outs


@pytest.mark.parametrize("loss", [yolo_paper_loss, yolo_bce_loss])
def test_perfect_predictions_cost_nothing(loss):
    _, targets = setup()
    parts = loss(perfect_outputs(targets), targets, ANCHORS, STRIDES)
    assert float(parts["total"]) < 1e-6
    assert set(parts) == {"box", "obj", "noobj", "cls", "total"}


def test_bce_loss_equals_torch_bce_and_torchvision_ciou():
    outputs, targets = setup(1)
    got = yolo_bce_loss(outputs, targets, ANCHORS, STRIDES, box_weight=2.0, obj_weight=3.0, cls_weight=0.5)
    box = obj = noobj = cls = 0.0
    for p, t, anc, s in zip(outputs, targets, ANCHORS, STRIDES):
        grid = cell_grid(p.shape[2], p.shape[3], dtype=p.dtype)  # (H, W, 2)
        centre = (grid + torch.sigmoid(p[..., :2])) * s
        size = anc[None, :, None, None, :].double() * torch.exp(p[..., 2:4])
        xyxy = torch.cat([centre - size / 2, centre + size / 2], dim=-1)
        m = t.obj
        box += float(ciou_loss(xyxy[m], t.boxes[m].double()).sum())
        obj += float(F.binary_cross_entropy_with_logits(p[..., 4][m], torch.ones(int(m.sum()), dtype=p.dtype), reduction="sum"))
        neg = ~m & ~t.ignore
        noobj += float(F.binary_cross_entropy_with_logits(p[..., 4][neg], torch.zeros(int(neg.sum()), dtype=p.dtype), reduction="sum"))
        cls += float(F.binary_cross_entropy_with_logits(p[m][:, 5:], F.one_hot(t.labels[m], C).double(), reduction="sum"))
    for k, v in {"box": box / 2, "obj": obj / 2, "noobj": noobj / 2, "cls": cls / 2}.items():
        assert float(got[k]) == pytest.approx(v, rel=1e-6), k
    assert float(got["total"]) == pytest.approx((2 * box + 3 * (obj + noobj) + 0.5 * cls) / 2, rel=1e-6)


def test_bce_loss_with_iou_targets_and_the_yolov5_coding_written_out():
    from dlbox.detection.assign import assign_targets_neighbours
    from dlbox.ops.boxes import iou_reference

    g = torch.Generator().manual_seed(3)
    outputs = [torch.randn(2, 3, h, w, 5 + C, generator=g, dtype=torch.float64) for h, w in GRIDS]
    targets = assign_targets_neighbours(BOXES, LABELS, ANCHORS, STRIDES, GRIDS)
    got = yolo_bce_loss(outputs, targets, ANCHORS, STRIDES, coding="yolov5", obj_target="iou")
    box = obj = 0.0
    for p, t, anc, s in zip(outputs, targets, ANCHORS, STRIDES):
        for b, a, j, i in t.obj.nonzero().tolist():
            v = p[b, a, j, i].tolist()
            cx, cy = (i + 2 * sig(v[0]) - 0.5) * s, (j + 2 * sig(v[1]) - 0.5) * s  # b_x = c_x + 2 sigma(t_x) - 0.5
            bw, bh = anc[a, 0].item() * math.exp(v[2]), anc[a, 1].item() * math.exp(v[3])
            pred = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
            box += float(ciou_loss(torch.tensor([pred], dtype=torch.float64), t.boxes[b, a, j, i][None].double()).sum())
            target = max(0.0, iou_reference(pred, t.boxes[b, a, j, i].tolist()))  # objectness target: the box's IoU
            obj += -(target * math.log(sig(v[4])) + (1 - target) * math.log(1 - sig(v[4])))
    assert float(got["box"]) == pytest.approx(box / 2, rel=1e-6)
    assert float(got["obj"]) == pytest.approx(obj / 2, rel=1e-6)
    with pytest.raises(ValueError, match="obj_target 'half' is not valid; choose from one, iou"):
        yolo_bce_loss(outputs, targets, ANCHORS, STRIDES, obj_target="half")


@pytest.mark.parametrize("loss", [yolo_paper_loss, yolo_bce_loss])
def test_ignored_predictions_carry_no_objectness_penalty(loss):
    outputs, targets = setup(2)
    base = loss(outputs, targets, ANCHORS, STRIDES)
    all_ignored = [t.__class__(**{**t.__dict__, "ignore": ~t.obj}) for t in targets]
    parts = loss(outputs, all_ignored, ANCHORS, STRIDES)
    assert float(parts["noobj"]) == 0.0 and float(base["noobj"]) > 0
    for k in ("box", "obj", "cls"):
        assert float(parts[k]) == pytest.approx(float(base[k]))


def test_paper_weights_scale_their_terms():
    outputs, targets = setup(3)
    a = yolo_paper_loss(outputs, targets, ANCHORS, STRIDES, lambda_coord=1.0, lambda_noobj=1.0)
    b = yolo_paper_loss(outputs, targets, ANCHORS, STRIDES, lambda_coord=5.0, lambda_noobj=0.5)
    assert float(b["box"]) == pytest.approx(5 * float(a["box"]))
    assert float(b["noobj"]) == pytest.approx(0.5 * float(a["noobj"]))


def test_bad_inputs_are_named():
    outputs, targets = setup()
    with pytest.raises(ValueError, match="one target set, stride and anchor group per output"):
        yolo_bce_loss(outputs[:2], targets, ANCHORS, STRIDES)
    with pytest.raises(ValueError, match="num_classes=2"):
        yolo_paper_loss([o[..., :7] for o in outputs], targets, ANCHORS, STRIDES)
