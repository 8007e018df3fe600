"""Anomaly detection by reconstruction error (notes 3.10.3).

An autoencoder trained on "normal" classes only reconstructs them well and
everything else (other classes, adversarially manipulated images) badly, so
the per-image reconstruction error is an anomaly score. The threshold is a
quantile of held-out *normal* errors (no anomaly is needed to choose it);
ROC-AUC measures the ranking independently of any threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.autoencoders.config import AnomalyConfig
from dlbox.autoencoders.metrics import reconstruct, reconstruction_error


def normal_class_indices(spec: Sequence[str | int] | None, class_names: Sequence[str]) -> list[int]:
    """Indices of the normal classes named by ``spec`` (names or indices); default: the first half."""
    names = list(class_names)
    if len(names) < 2:
        raise ValueError("anomaly detection needs at least two classes (normal and anomalous)")
    if not spec:
        return list(range(len(names) // 2))
    out = []
    for item in spec:
        text = str(item)
        if text in names:
            out.append(names.index(text))
        elif text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
            out.append(int(text))
        else:
            raise ValueError(f"normal class {text!r} is not a class of this dataset; its classes are: {', '.join(names)}")
    out = sorted(set(out))
    if len(out) == len(names):
        raise ValueError("every class is marked normal; leave at least one class out as the anomalies")
    return out


def filter_classes(split: dict[str, torch.Tensor], classes: Sequence[int]) -> dict[str, torch.Tensor]:
    """The rows of ``split`` whose label is in ``classes``."""
    keep = torch.isin(split["label"], torch.as_tensor(list(classes), device=split["label"].device))
    return {k: v[keep] for k, v in split.items()}


def choose_threshold(normal_errors: torch.Tensor, quantile: float = 0.95) -> float:
    """The ``quantile`` of held-out normal errors: about ``1 - quantile`` of normal images get flagged."""
    if len(normal_errors) == 0:
        raise ValueError("no held-out normal images to choose a threshold from")
    return float(torch.quantile(normal_errors.double().cpu(), quantile))


def roc_auc(normal_scores: torch.Tensor, anomalous_scores: torch.Tensor) -> float | None:
    """Area under the ROC curve of ``score`` separating anomalies (positive) from normal images."""
    from sklearn.metrics import roc_auc_score

    if len(normal_scores) == 0 or len(anomalous_scores) == 0:
        return None
    y = torch.cat([torch.zeros(len(normal_scores)), torch.ones(len(anomalous_scores))]).numpy()
    s = torch.cat([normal_scores.double().cpu(), anomalous_scores.double().cpu()]).numpy()
    return float(roc_auc_score(y, s))


def detection_metrics(normal_scores: torch.Tensor, anomalous_scores: torch.Tensor, threshold: float) -> dict[str, Any]:
    """ROC-AUC and, at ``threshold``, the detection (true-positive) and false-alarm rates."""
    tp = int((anomalous_scores > threshold).sum())
    fp = int((normal_scores > threshold).sum())
    n_pos, n_neg = len(anomalous_scores), len(normal_scores)
    return {
        "roc_auc": roc_auc(normal_scores, anomalous_scores),
        "n_normal": n_neg,
        "n_anomalous": n_pos,
        "detection_rate": tp / n_pos if n_pos else None,
        "false_alarm_rate": fp / n_neg if n_neg else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "accuracy": (tp + n_neg - fp) / (n_pos + n_neg) if n_pos + n_neg else None,
        "mean_error_normal": float(normal_scores.mean()) if n_neg else None,
        "mean_error_anomalous": float(anomalous_scores.mean()) if n_pos else None,
    }


def adversarial_examples(classifier_run: str | Path, images: torch.Tensor, labels: torch.Tensor, cfg: AnomalyConfig,
                         seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Adversarial versions of ``images`` against the classifier of ``classifier_run`` (item 4's attacks).

    Returns the adversarial images, whether each attack succeeded, and the attack's metrics.
    """
    from dlbox.attacks.base import random_targets
    from dlbox.attacks.config import AttackConfig
    from dlbox.attacks.evaluate import attack_all, attack_metrics, check_config, predict, resolve_target
    from dlbox.model_io import load_model

    clf = load_model(classifier_run, images.device)
    meta = getattr(clf, "dlbox_meta", {})
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    if tuple(images.shape[1:]) != shape:
        raise ValueError(f"classifier {classifier_run} takes {shape} images but the autoencoder's data is {tuple(images.shape[1:])}")
    acfg = AttackConfig(method=cfg.attack_method, eps=[cfg.attack_eps], norm=cfg.attack_norm, target=cfg.attack_target, seed=seed)
    check_config(acfg, shape)
    spec = resolve_target(cfg.attack_target, meta["class_names"])
    target = None
    if spec == "random":
        target = random_targets(labels, len(meta["class_names"]), torch.Generator().manual_seed(seed + 1)).to(labels.device)
    elif spec is not None:
        target = torch.full_like(labels, int(spec))
    result = attack_all(clf, images, labels, cfg.attack_eps, acfg, target, seed)
    clean_pred, _ = predict(clf, images)
    info = attack_metrics(images, labels, clean_pred, result, acfg.method == "evolution")
    info = {"method": cfg.attack_method, "eps": cfg.attack_eps, "norm": cfg.attack_norm, "target": cfg.attack_target,
            **{k: info[k] for k in ("n_attacked", "n_success", "success_rate", "linf_median", "l2_median")}}
    return result.adversarial, result.success & (clean_pred == labels), info


def anomaly_report(model: nn.Module, bundle: Any, test: dict[str, torch.Tensor], normal: list[int], cfg: AnomalyConfig,
                   run_dir: Path, seed: int = 0, show: int = 8) -> dict[str, Any]:
    """Threshold from validation normals; ROC-AUC and rates on test normal vs anomalous (and adversarial) images.

    Figures: ``errors.png`` (histograms with the threshold), ``roc.png``, ``anomaly_examples.png``.
    """
    val_images = bundle.val["image"].to(test["image"].device)
    threshold = choose_threshold(reconstruction_error(model, val_images), cfg.threshold_quantile)
    is_normal = torch.isin(test["label"], torch.as_tensor(normal, device=test["label"].device))
    errors = reconstruction_error(model, test["image"])
    err_n, err_a = errors[is_normal], errors[~is_normal]
    names = bundle.class_names
    report: dict[str, Any] = {
        "normal_classes": [names[i] for i in normal],
        "anomalous_classes": [names[i] for i in range(len(names)) if i not in normal],
        "threshold": threshold,
        "threshold_quantile": cfg.threshold_quantile,
        **detection_metrics(err_n, err_a, threshold),
    }
    groups = {"normal (test)": err_n, "anomalous (test)": err_a}
    rows = [test["image"][is_normal], test["image"][~is_normal]]
    row_names = ["normal", "anomalous"]
    if cfg.classifier:
        imgs, labels = test["image"][is_normal], test["label"][is_normal]
        adv, ok, info = adversarial_examples(cfg.classifier, imgs, labels, cfg, seed)
        err_adv = reconstruction_error(model, adv[ok])
        det = detection_metrics(err_n, err_adv, threshold)
        report["adversarial"] = {
            "classifier": str(cfg.classifier),
            "attack": info,
            **{k: det[k] for k in ("roc_auc", "n_anomalous", "detection_rate", "mean_error_anomalous")},
        }
        groups[f"adversarial ({cfg.attack_method}, eps {cfg.attack_eps:g})"] = err_adv
        rows.append(adv[ok])
        row_names.append("adversarial")
    plot_error_histograms(groups, threshold, run_dir / "errors.png")
    plot_roc({k: v for k, v in groups.items() if k != "normal (test)"}, err_n, run_dir / "roc.png")
    _save_examples(model, rows, row_names, run_dir / "anomaly_examples.png", show)
    return report


def _save_examples(model: nn.Module, rows: list[torch.Tensor], names: list[str], path: Path, show: int) -> None:
    from dlbox.autoencoders.metrics import mse_per_image
    from dlbox.autoencoders.train import save_rows

    tensors, titles = [], []
    k = min(show, *(len(r) for r in rows)) if rows else 0
    for name, imgs in zip(names, rows):
        imgs = imgs[:k]
        rec = reconstruct(model, imgs)
        err = mse_per_image(rec, imgs)
        tensors += [imgs, rec]
        titles += [[name] * k, [f"rec. err {float(e):.4f}" for e in err]]
    if k:
        save_rows(tensors, [], path, k, titles)


def plot_error_histograms(groups: dict[str, torch.Tensor], threshold: float, path: Path) -> None:
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    top = max((float(v.max()) for v in groups.values() if len(v)), default=1.0)
    bins = torch.linspace(0, top, 50).numpy()
    for name, values in groups.items():
        if len(values):
            ax.hist(values.cpu().numpy(), bins=bins, alpha=0.5, density=True, label=f"{name} (n={len(values)})")
    ax.axvline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.4f}")
    ax.set_xlabel("reconstruction error (MSE)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_roc(positives: dict[str, torch.Tensor], normal: torch.Tensor, path: Path) -> None:
    from sklearn.metrics import roc_curve

    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, scores in positives.items():
        if len(scores) == 0 or len(normal) == 0:
            continue
        y = torch.cat([torch.zeros(len(normal)), torch.ones(len(scores))]).numpy()
        s = torch.cat([normal.cpu(), scores.cpu()]).double().numpy()
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name}: AUC {roc_auc(normal, scores):.3f}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("false alarm rate (normal flagged)")
    ax.set_ylabel("detection rate")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
