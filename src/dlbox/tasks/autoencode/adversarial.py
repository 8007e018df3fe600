"""Adversarial examples of normal images against a classify run, for anomaly detection (notes 3.10.1, 3.10.3).

Perturbations that fool a classifier may take images off the manifold the autoencoder learned; the
anomaly report scores them like unseen classes. Everything this task uses of the attack pipeline
comes through :func:`attack_api`, the one place that imports it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch

from dlbox.tasks.autoencode.config import AttackOptions


def attack_api() -> SimpleNamespace:
    """The attack pipeline's pieces this task calls (repoint here when the pipeline moves)."""
    from dlbox.attacks.base import random_targets
    from dlbox.attacks.config import AttackConfig
    from dlbox.attacks.evaluate import attack_all, attack_metrics, check_config, predict, resolve_target

    return SimpleNamespace(AttackConfig=AttackConfig, attack_all=attack_all, attack_metrics=attack_metrics,
                           check_config=check_config, predict=predict, random_targets=random_targets,
                           resolve_target=resolve_target)


def classifier_info(options: AttackOptions) -> tuple[tuple[int, ...], list[str]]:
    """Image shape ``(C, H, W)`` and class names of the classify run ``options.run``; the options checked against it.

    Runs before training, so a missing run, a bad method, norm, budget or target fails before any run directory exists.
    """
    from dlbox.model_io import read_model_json

    meta = read_model_json(options.run)
    if "input" not in meta or "class_names" not in meta:
        raise ValueError(f"--attack-run {options.run}: model.json names no input shape or classes; is it a dlbox classify run?")
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    api = attack_api()
    api.check_config(_attack_config(api, options, 0), shape)
    api.resolve_target(options.target, meta["class_names"])
    return shape, list(meta["class_names"])


def adversarial_examples(options: AttackOptions, images: torch.Tensor, labels: torch.Tensor,
                         seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Adversarial versions of ``images (N, C, H, W)`` against the classifier of ``options.run``.

    Returns the adversarial images, whether each attack succeeded on an image the classifier got right
    ``(N,)``, and the attack's figures (success rate, median perturbation sizes).
    """
    from dlbox.model_io import load_model

    api = attack_api()
    clf = load_model(options.run, images.device)
    meta = getattr(clf, "dlbox_meta", {})
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    if tuple(images.shape[1:]) != shape:
        raise ValueError(f"--attack-run {options.run} takes {shape} images but the autoencoder's data is {tuple(images.shape[1:])}")
    acfg = _attack_config(api, options, seed)
    api.check_config(acfg, shape)
    spec = api.resolve_target(options.target, meta["class_names"])
    target = None
    if spec == "random":
        target = api.random_targets(labels, len(meta["class_names"]), torch.Generator().manual_seed(seed + 1)).to(labels.device)
    elif spec is not None:
        target = torch.full_like(labels, int(spec))
    result = api.attack_all(clf, images, labels, options.eps, acfg, target, seed)
    clean_pred, _ = api.predict(clf, images)
    info = api.attack_metrics(images, labels, clean_pred, result, acfg.method == "evolution")
    info = {"method": options.method, "eps": options.eps, "norm": options.norm, "target": options.target,
            **{k: info[k] for k in ("n_attacked", "n_success", "success_rate", "linf_median", "l2_median")}}
    return result.adversarial, result.success & (clean_pred == labels), info


def _attack_config(api: SimpleNamespace, options: AttackOptions, seed: int) -> Any:
    return api.AttackConfig(method=options.method, eps=[options.eps], norm=options.norm, target=options.target, seed=seed)
