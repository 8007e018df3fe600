"""``dlbox segment train`` through the Python API on the shared run: artifacts, checks, batch modes, EMA, resume."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from dlbox import load_model
from dlbox.engine.rundir import RunDirError
from dlbox.segmentation.metrics import confusion_matrix, segmentation_report
from dlbox.tasks.segment.data import load_segmentation_data
from dlbox.tasks.segment.train import train


def test_run_directory_is_complete_and_metrics_match_the_saved_model(tiny_seg_cfg, tmp_path):
    cfg = tiny_seg_cfg(tmp_path / "run", epochs=2)
    run = train(cfg)
    for name in ("config.yaml", "data.json", "metrics.json", "metrics.csv", "model.json", "model.safetensors",
                 "curves.png", "test_examples.png", "checkpoints/last.ckpt"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    names = ["background", "circle", "square", "triangle"]
    assert metrics["epochs"] == 2 and set(metrics["per_class_iou"]) == set(names) == set(metrics["per_class"])
    assert {"val_miou", "val_pixel_acc", "val_loss", "best_val_miou"} <= set(metrics)
    meta = json.loads((run / "model.json").read_text())
    assert meta["task"] == "segment" and meta["ignore_index"] == 255 and meta["tile_overlap"] == 16
    assert meta["kwargs"]["depth"] == 2 and meta["kwargs"]["width"] == 4

    # Oracle: the saved weights, run here on the test split, give the reported confusion matrix and mIoU.
    model = load_model(run).to(memory_format=torch.channels_last)  # as trained and evaluated (fabric.channels_last)
    test = load_segmentation_data(cfg.data, cfg.segment).test
    with torch.no_grad():
        images = test["image"].contiguous(memory_format=torch.channels_last)
        preds = torch.cat([model(images[i : i + 16]) for i in range(0, len(images), 16)]).argmax(1)
    cm = confusion_matrix(preds, test["mask"], 4)
    assert cm.tolist() == metrics["confusion_matrix"]
    assert int(cm.sum()) == test["mask"].numel()
    assert segmentation_report(cm, names)["miou"] == pytest.approx(metrics["test_miou"], abs=1e-9)


def test_invalid_options_fail_before_any_run_directory(tiny_seg_cfg, tmp_path):
    cases = [
        (lambda c: setattr(c.optim, "optimizer", "bogus"), "adamw"),
        (lambda c: setattr(c.model, "name", "segnet"), "unknown segmentation model 'segnet'"),
        (lambda c: setattr(c, "init", str(tmp_path)), "--init starts an FCN"),
        (lambda c: setattr(c.segment, "classes", ["a", "b"]), "masks:IMAGES_DIR,MASKS_DIR"),
        (lambda c: setattr(c.segment, "dice_weight", -1.0), "dice_weight"),
        (lambda c: setattr(c.data, "train_per_class", 3), "data.train_per_class is not used by `dlbox segment`"),
        (lambda c: setattr(c.train, "monitor", "val_acc"), "val_miou"),
        (lambda c: setattr(c.optim, "backbone_lr_mult", 0.1), "goes with --init"),
    ]
    for i, (change, message) in enumerate(cases):
        cfg = tiny_seg_cfg(tmp_path / f"r{i}")
        change(cfg)
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("*", r"\*")):
            train(cfg)
        assert not (tmp_path / f"r{i}").exists(), message


def test_a_failure_inside_the_run_leaves_deterministic_mode_as_it_was(tiny_seg_cfg, tmp_path):
    from dlbox.ops.unet_sizes import UNetSizeError

    cfg = tiny_seg_cfg(tmp_path / "bad", deterministic=True)
    cfg.model.kwargs["padding"] = "valid"  # 24 px is no valid input size: fails when the model is built
    assert not torch.are_deterministic_algorithms_enabled()
    with pytest.raises(UNetSizeError, match="nearest valid input sizes"):
        train(cfg)
    assert not torch.are_deterministic_algorithms_enabled()
    assert not (tmp_path / "bad").exists()
    run = train(tiny_seg_cfg(tmp_path / "det", epochs=1, deterministic=True))
    assert (run / "metrics.json").is_file() and not torch.are_deterministic_algorithms_enabled()


def test_full_batch_takes_one_step_per_epoch(tiny_seg_cfg, tmp_path):
    run = train(tiny_seg_cfg(tmp_path / "full", epochs=2, batch_size="full"))
    metrics = json.loads((run / "metrics.json").read_text())
    n_train = json.loads((run / "data.json").read_text())["sizes"]["train"]
    assert metrics["steps"] == 2 and metrics["batch_size"] == n_train


def test_ema_weights_are_saved_and_grad_clip_runs(tiny_seg_cfg, tmp_path):
    run = train(tiny_seg_cfg(tmp_path / "ema", epochs=2, ema=True, ema_decay=0.5, grad_clip=0.5))
    saved = load_file(str(run / "model.safetensors"))
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    ema = {k[len("module.") :]: v for k, v in ckpt["ema"].items() if k.startswith("module.")}
    key = "encoder.enc1.conv1.conv.weight"
    torch.testing.assert_close(saved[key], ema[key])
    assert not torch.equal(saved[key], ckpt["model"][key])


def test_resume_continues_with_a_new_budget_and_refuses_other_changes(tiny_seg_cfg, tmp_path):
    cfg = tiny_seg_cfg(tmp_path / "run", epochs=1)
    run = train(cfg)
    (run / "metrics.json").unlink()  # as a run killed after its first epoch's checkpoint leaves it
    changed = tiny_seg_cfg(None, epochs=1)
    changed.segment.dice_weight = 0.5
    with pytest.raises(ValueError, match="segment.dice_weight was 0.0 and cannot change"):
        train(changed, resume=run)
    resumed = train(tiny_seg_cfg(None, epochs=2), resume=run)
    metrics = json.loads((resumed / "metrics.json").read_text())
    assert resumed == run and metrics["epochs"] == 2 and metrics["resumed_with"] == {"train.epochs": [1, 2]}
    steps_per_epoch = -(-json.loads((run / "data.json").read_text())["sizes"]["train"] // 8)
    assert metrics["steps"] == 2 * steps_per_epoch
    with pytest.raises(RunDirError, match="already finished"):
        train(tiny_seg_cfg(None), resume=run)
