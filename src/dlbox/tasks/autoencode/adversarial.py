"""Adversarial examples of normal images against a classify run, for anomaly detection (notes 3.10.1, 3.10.3).

Perturbations that fool a classifier may take images off the manifold the autoencoder learned; the
anomaly report scores them like unseen classes. Everything this task uses of the attack pipeline
comes from :mod:`dlbox.attacks` (the pure attacks and their dispatch).
"""

from __future__ import annotations

from typing import Any

import torch

from dlbox.attacks import attack, attack_metrics, predict, resolve_target, targets_for
from dlbox.attacks.dispatch import check_method
from dlbox.attacks.norms import check_eps, check_norm
from dlbox.tasks.autoencode.config import AttackOptions


def classifier_info(options: AttackOptions) -> tuple[tuple[int, ...], list[str]]:
    """Image shape ``(C, H, W)`` and class names of the classify run ``options.run``; the options checked against it.

    Runs before training, so a missing run, a bad method, norm, budget or target fails before any run directory exists.
    """
    from dlbox.model_io import read_model_json

    meta = read_model_json(options.run)
    if "input" not in meta or "class_names" not in meta:
        raise ValueError(f"--attack-run {options.run}: model.json names no input shape or classes; is it a dlbox classify run?")
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    _check(options, shape)
    resolve_target(options.target, meta["class_names"])
    return shape, list(meta["class_names"])


def adversarial_examples(options: AttackOptions, images: torch.Tensor, labels: torch.Tensor,
                         seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Adversarial versions of ``images (N, C, H, W)`` against the classifier of ``options.run``.

    Returns the adversarial images, whether each attack succeeded on an image the classifier got right
    ``(N,)``, and the attack's figures (success rate, median perturbation sizes).
    """
    from dlbox.model_io import load_model

    clf = load_model(options.run, images.device)
    meta = getattr(clf, "dlbox_meta", {})
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    if tuple(images.shape[1:]) != shape:
        raise ValueError(f"--attack-run {options.run} takes {shape} images but the autoencoder's data is {tuple(images.shape[1:])}")
    _check(options, shape)
    target = targets_for(options.target, labels, meta["class_names"], seed + 1)
    result = attack(clf, images, labels, options.eps, options.method, options.norm, target, seed=seed)
    clean_pred, _ = predict(clf, images)
    info = attack_metrics(images, labels, clean_pred, result, options.method == "evolution")
    info = {"method": options.method, "eps": options.eps, "norm": options.norm, "target": options.target,
            **{k: info[k] for k in ("n_attacked", "n_success", "success_rate", "linf_median", "l2_median")}}
    return result.adversarial, result.success & (clean_pred == labels), info


def _check(options: AttackOptions, shape: tuple[int, ...]) -> None:
    check_method(options.method)
    check_norm(options.norm)
    check_eps(options.eps, options.norm, shape)
