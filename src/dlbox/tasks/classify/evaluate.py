"""``dlbox classify eval``: a finished run's model on a split of its own or another dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlbox.tasks.classify.config import ClassifyConfig, upgrade
from dlbox.config import from_dict, load_yaml
from dlbox.data import load_dataset
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import require_run_dir, write_json


@torch.no_grad()
def logits_of(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """``images (N, C, H, W)`` -> ``logits (N, K)`` in eval mode."""
    model.eval()
    return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]) if len(images) else torch.empty(0)


def evaluate_run(run: str | Path, data: str | None = None, split: str = "test", out: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    from dlbox.model_io import load_model
    from dlbox.plots import plot_confusion
    from dlbox.tasks.classify.metrics import classification_report

    run = require_run_dir(run)
    if split not in ("train", "val", "test"):
        raise ValueError(f"--split {split!r} is not valid; use train, val or test")
    cfg = from_dict(ClassifyConfig, upgrade(load_yaml(run / "config.yaml")))
    model = load_model(run)
    data_cfg = cfg.data
    if data is not None:
        data_cfg.name = data
    data_cfg.image_size = model.dlbox_meta["input"]["size"][0]
    bundle = load_dataset(data_cfg)
    if bundle.class_names != model.dlbox_meta["class_names"]:
        raise ValueError(
            f"dataset {data_cfg.name!r} has classes {bundle.class_names} but the model was trained on {model.dlbox_meta['class_names']}"
        )
    part = getattr(bundle, split)
    if not isinstance(part, dict):
        raise ValueError("evaluation of streamed (very large) folders is not supported; lower data.in_memory_limit_mb is not the fix: raise it")
    report = classification_report(logits_of(model, part["image"]), part["label"], bundle.class_names)
    with recorded_run("classify-eval", None, out) as out_dir:
        plot_confusion(np.asarray(report["confusion_matrix"]), bundle.class_names, out_dir / "confusion_matrix.png")
        _write_worst(model, part, bundle.class_names, out_dir)
        write_json(out_dir / "metrics.json", {"run": str(run), "dataset": data_cfg.name, "split": split, **report})
        return out_dir, report


def _write_worst(model: torch.nn.Module, part: dict[str, torch.Tensor], class_names: list[str], out_dir: Path, k: int = 16) -> None:
    """A gallery of the k most confidently wrong images."""
    from dlbox.plots import plot_image_grid

    probs = logits_of(model, part["image"]).softmax(1)
    wrong = (probs.argmax(1) != part["label"]).nonzero().flatten()
    if len(wrong) == 0:
        return
    conf = probs[wrong].max(1).values
    worst = wrong[conf.argsort(descending=True)[:k]]
    images = part["image"][worst].permute(0, 2, 3, 1).numpy()
    titles = [f"true {class_names[int(part['label'][i])]}\npred {class_names[int(probs[i].argmax())]} {float(probs[i].max()):.2f}" for i in worst]
    plot_image_grid(images, titles, out_dir / "worst.png")
