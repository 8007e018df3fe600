"""``dlbox classify train``: the classification recipe for the one training run (:mod:`dlbox.engine.training`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.classify.config import ClassifyConfig, upgrade  # noqa: F401  (upgrade: picked up by Recipe.of)


def train(cfg: ClassifyConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train a classifier as ``cfg`` says (or continue ``resume``); return the complete run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or ClassifyConfig(), resume, changes)


def check(cfg: ClassifyConfig) -> None:
    if cfg.classify.freeze not in (None, "features"):
        raise ValueError(f"--freeze {cfg.classify.freeze!r} is not valid; the only part that can be frozen is 'features'")
    if cfg.classify.freeze and not cfg.init:
        raise ValueError("--freeze features needs --init RUN_DIR|torchvision:NAME (a trained backbone to keep)")
    if cfg.classify.weights and not (cfg.init or "").startswith("torchvision:"):
        raise ValueError("--weights FILE goes with --init torchvision:NAME")
    if not 0 <= cfg.classify.label_smoothing < 1:
        raise ValueError(f"classify.label_smoothing must lie in [0, 1), got {cfg.classify.label_smoothing}")


def load_data(cfg: ClassifyConfig) -> Any:
    from dlbox.data import load_dataset

    return load_dataset(cfg.data)


def param_groups(cfg: ClassifyConfig, model: Any) -> dict[str, list[Any]]:
    from dlbox.tasks.classify.model_init import param_groups as groups

    return {"model": groups(model, cfg.classify.freeze, cfg.optim.backbone_lr_mult)}


def build_model(cfg: ClassifyConfig, bundle: Any) -> Any:
    from dlbox.tasks.classify.model_init import build_model as build

    return build(cfg, bundle)


def make_step(run: Run) -> Any:
    from dlbox.tasks.classify.step import ClassificationStep

    return ClassificationStep(run)


def finish(run: Run) -> dict[str, Any]:
    """Test accuracy, per-class precision/recall and the confusion matrix (metrics.json and a PNG)."""
    import numpy as np

    from dlbox.data import make_loader
    from dlbox.plots import plot_confusion
    from dlbox.tasks.classify.metrics import classification_report
    from dlbox.tasks.classify.step import predict_logits

    bundle = run.bundle
    test_loader = make_loader(bundle.test, run.cfg.train.eval_batch_size, shuffle=False, device=run.device, num_workers=run.cfg.data.num_workers)
    logits, labels = predict_logits(run, test_loader)
    report = classification_report(logits.cpu(), labels.cpu(), bundle.class_names)
    plot_confusion(np.asarray(report["confusion_matrix"]), bundle.class_names, run.run_dir / "confusion_matrix.png")
    return {
        "test_acc": report["accuracy"],
        "test_loss": report["loss"],
        "per_class": report["per_class"],
        "confusion_matrix": report["confusion_matrix"],
    }


RECIPE = Recipe.of(__name__, task="classify", config_type=ClassifyConfig, monitors=("val_acc", "val_loss"))
