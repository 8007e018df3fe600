"""``dlbox attack``: attack a finished classify run's model over a dataset and write the run directory.

The attacks themselves are pure functions (:func:`dlbox.attacks.attack`); this
module picks the images and targets, measures each budget and writes
``config.yaml``, ``adversarial.safetensors``, ``gallery.png``,
``success_vs_eps.png`` (several budgets) and, last, ``metrics.json``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult, resolve_target, targets_for
from dlbox.attacks.dispatch import attack
from dlbox.attacks.metrics import attack_metrics, predict
from dlbox.tasks.attack.config import AttackConfig, attack_options, check_config

TASK = "attack"


def sweep(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: AttackConfig,
          target: torch.Tensor | None = None, eps_list: Sequence[float] | None = None) -> tuple[list[dict[str, Any]], AttackResult]:
    """Metrics at each epsilon (default ``cfg.eps``) and the last epsilon's result."""
    clean_pred, _ = predict(model, images, cfg.batch_size)
    rows, result = [], None
    for eps in eps_list or cfg.eps:
        t0 = time.perf_counter()
        result = attack(model, images, labels, float(eps), target=target, **attack_options(cfg))
        row = {"eps": float(eps), **attack_metrics(images, labels, clean_pred, result, cfg.method == "evolution")}
        row["seconds"] = round(time.perf_counter() - t0, 3)
        rows.append(row)
    assert result is not None
    return rows, result


def run_attack(cfg: AttackConfig) -> Path:
    """Attack ``cfg.run``'s model on ``cfg.data``; returns the complete run directory."""
    from dlbox.engine.rundir import require_run_dir
    from dlbox.model_io import load_model
    from dlbox.tasks.attack.data import load_images
    from dlbox.tasks.attack.plots import gallery_order, plot_success_curves, save_gallery, take
    from dlbox.tasks.input_run import check_out, finish_run, resolve_accelerator, start_run

    if not cfg.run:
        raise ValueError("--run is required: a finished classify run directory")
    run = require_run_dir(cfg.run)
    device = resolve_accelerator(cfg.accelerator)
    model = load_model(run, device)
    meta = model.dlbox_meta
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    check_config(cfg, shape)
    check_out(cfg.out)
    resolve_target(cfg.target, meta["class_names"])  # a bad --target fails before any work
    images, labels, class_names, source = load_images(cfg, model, run)
    images = images.to(device)
    clean_pred, clean_conf = predict(model, images, cfg.batch_size)
    labels_from = "dataset"
    if labels is None:  # loose image files: the clean prediction stands in for the label
        labels, labels_from = clean_pred.clone(), "model prediction on the clean image"
    labels = labels.to(device)
    target = targets_for(cfg.target, labels, class_names, cfg.seed + 1)
    with start_run(TASK, cfg, cfg.name, cfg.out) as out:
        rows, result = sweep(model, images, labels, cfg, target, sorted(float(e) for e in cfg.eps))
        save_tensors(out / "adversarial.safetensors", images, result, labels)
        order = gallery_order(labels, clean_pred, result)
        save_gallery(images[order], take(result, order), clean_pred[order], clean_conf[order], class_names,
                     out / "gallery.png", cfg.gallery)
        if len(rows) > 1:
            label = f"{cfg.method} ({'targeted ' + str(cfg.target) if target is not None else 'untargeted'})"
            plot_success_curves({label: [(r["eps"], r["success_rate"]) for r in rows]}, out / "success_vs_eps.png", cfg.norm)
        metrics = {
            "run": str(run),
            "data": source,
            "split": cfg.split if labels_from == "dataset" else None,
            "labels": labels_from,
            "method": cfg.method,
            "black_box": cfg.method == "evolution",
            "norm": cfg.norm,
            "target": cfg.target,
            **rows[-1],
            "by_eps": rows,
        }
        return finish_run(out, metrics)


def save_tensors(path: Path, images: torch.Tensor, result: AttackResult, labels: torch.Tensor) -> None:
    """Clean and adversarial images, labels, predictions, success and queries as safetensors."""
    from safetensors.torch import save_file

    tensors = {
        "image": images.detach().cpu().contiguous(),
        "adversarial": result.adversarial.detach().cpu().contiguous(),
        "label": labels.cpu().contiguous(),
        "pred": result.pred.cpu().contiguous(),
        "success": result.success.cpu().to(torch.uint8).contiguous(),
        "queries": result.queries.cpu().contiguous(),
    }
    if result.target is not None:
        tensors["target"] = result.target.cpu().contiguous()
    save_file(tensors, str(path))
