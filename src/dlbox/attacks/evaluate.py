"""Running an attack over a dataset: metrics, galleries, success-versus-epsilon curves, run directories.

The attacks themselves (:mod:`~dlbox.attacks.gradient`, :mod:`~dlbox.attacks.evolution`)
are pure functions over a batch; this module picks the images and targets,
batches them, measures what happened and writes the ``dlbox attack`` run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult, random_targets
from dlbox.attacks.config import DEFAULT_STEPS, METHODS, AttackConfig
from dlbox.attacks.norms import check_eps, check_norm, norm_of

TASK = "attack"


# --------------------------------------------------------------------------- attacking


def check_config(cfg: AttackConfig, image_shape: tuple[int, ...]) -> None:
    """Every user-set value of ``cfg`` that can be checked before attacking; clear errors otherwise."""
    if cfg.method not in METHODS:
        raise ValueError(f"attack method {cfg.method!r} is not valid; use one of {', '.join(METHODS)}")
    check_norm(cfg.norm)
    if not cfg.eps:
        raise ValueError("give at least one epsilon")
    for eps in cfg.eps:
        check_eps(eps, cfg.norm, image_shape)
    if cfg.n is not None and cfg.n < 1:
        raise ValueError(f"--n must be at least 1, got {cfg.n}")
    for key in ("restarts", "population", "offspring", "batch_size"):
        if getattr(cfg, key) < 1:
            raise ValueError(f"{key} must be at least 1, got {getattr(cfg, key)}")
    if cfg.steps is not None and cfg.steps < 1:
        raise ValueError(f"steps must be at least 1, got {cfg.steps}")
    if cfg.max_queries < cfg.population + 1:
        raise ValueError(f"max_queries must be at least population + 1 = {cfg.population + 1}, got {cfg.max_queries}")


def resolve_target(target: str, class_names: Sequence[str]) -> int | str | None:
    """``"none"`` -> None, ``"random"`` -> "random", a class name or index -> its index (else a clear error)."""
    if target in (None, "", "none"):
        return None
    if target == "random":
        return "random"
    names = list(class_names)
    if target in names:
        return names.index(target)
    try:
        index = int(target)
    except ValueError:
        index = None
    if index is not None and 0 <= index < len(names):
        return index
    shown = ", ".join(names) if len(names) <= 30 else ", ".join(names[:30]) + ", ..."
    raise ValueError(f"target class {target!r} is not one the model knows; its classes are: {shown} "
                     f"(or an index 0-{len(names) - 1}, 'random' or 'none')")


def attack(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float, cfg: AttackConfig,
           target: torch.Tensor | None = None, generator: torch.Generator | None = None) -> AttackResult:
    """One batch through the attack ``cfg.method`` names, with ``cfg``'s settings."""
    from dlbox.attacks.evolution import evolution_attack
    from dlbox.attacks.gradient import fgsm, iterative_fgsm, pgd

    if cfg.method == "fgsm":
        return fgsm(model, images, labels, eps, cfg.norm, target)
    if cfg.method in ("ifgsm", "pgd"):
        steps = cfg.steps or DEFAULT_STEPS[cfg.method]
        if cfg.method == "ifgsm":
            return iterative_fgsm(model, images, labels, eps, cfg.norm, steps, cfg.step_size, target)
        return pgd(model, images, labels, eps, cfg.norm, steps, cfg.step_size, target,
                            cfg.random_start, cfg.restarts, generator)
    if cfg.method == "evolution":
        return evolution_attack(model, images, labels, eps, cfg.norm, target, cfg.population, cfg.offspring,
                                   cfg.sigma, cfg.max_queries, generator)
    raise ValueError(f"attack method {cfg.method!r} is not valid; use one of {', '.join(METHODS)}")


def attack_all(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float, cfg: AttackConfig,
               target: torch.Tensor | None = None, seed: int = 0) -> AttackResult:
    """:func:`attack` over any number of images, ``cfg.batch_size`` at a time, results concatenated."""
    gen = torch.Generator(device=images.device).manual_seed(seed)
    parts = [
        attack(model, images[i : i + cfg.batch_size], labels[i : i + cfg.batch_size], eps, cfg,
               None if target is None else target[i : i + cfg.batch_size], gen)
        for i in range(0, len(images), cfg.batch_size)
    ]
    cat = lambda name: torch.cat([getattr(p, name) for p in parts])  # noqa: E731
    return AttackResult(cat("adversarial"), cat("success"), cat("pred"), cat("confidence"), cat("queries"),
                        None if target is None else cat("target"))


# --------------------------------------------------------------------------- measuring


def _stats(values: torch.Tensor, prefix: str) -> dict[str, float | None]:
    if len(values) == 0:
        return {f"{prefix}_mean": None, f"{prefix}_median": None}
    v = values.double().cpu()
    return {f"{prefix}_mean": float(v.mean()), f"{prefix}_median": float(torch.quantile(v, 0.5))}  # midpoint median


def attack_metrics(images: torch.Tensor, labels: torch.Tensor, clean_pred: torch.Tensor, result: AttackResult,
                   black_box: bool = False) -> dict[str, Any]:
    """Clean accuracy, success rate and perturbation sizes (and queries for a black-box attack).

    The success rate is over the *attacked* images: those the model classifies
    correctly when clean and, for a targeted attack, whose label is not already
    the target. Norms and confidences are over the successful ones.
    """
    correct = clean_pred == labels
    attacked = correct if result.target is None else correct & (labels != result.target)
    won = result.success & attacked
    delta = result.adversarial - images
    n_att = int(attacked.sum())
    out: dict[str, Any] = {
        "n": len(images),
        "clean_accuracy": float(correct.float().mean()) if len(images) else None,
        "n_attacked": n_att,
        "n_success": int(won.sum()),
        "success_rate": float(won.sum()) / n_att if n_att else None,
        # Accuracy under attack (untargeted: the robust accuracy of the model at this budget).
        "adversarial_accuracy": float((result.pred == labels).float().mean()) if len(images) else None,
        **_stats(norm_of(delta[won], "linf"), "linf"),
        **_stats(norm_of(delta[won], "l2"), "l2"),
        **_stats(result.confidence[won], "adv_confidence"),
    }
    if black_box:
        out.update(_stats(result.queries[won], "queries"))
        out.update({f"{k}_all": v for k, v in _stats(result.queries[attacked], "queries").items()})
    else:
        out.update(_stats(result.queries[attacked], "gradient_evals"))
    return out


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Classes and their probabilities ``(N,)``, ``(N,)`` in eval mode."""
    model.eval()
    probs = torch.cat([model(images[i : i + batch_size]).float().softmax(1) for i in range(0, len(images), batch_size)])
    conf, pred = probs.max(1)
    return pred, conf


def sweep(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: AttackConfig,
          target: torch.Tensor | None = None, eps_list: Sequence[float] | None = None) -> tuple[list[dict[str, Any]], AttackResult]:
    """Metrics at each epsilon (default ``cfg.eps``) and the last epsilon's result."""
    import time

    clean_pred, _ = predict(model, images, cfg.batch_size)
    rows, result = [], None
    for eps in eps_list or cfg.eps:
        t0 = time.perf_counter()
        result = attack_all(model, images, labels, float(eps), cfg, target, cfg.seed)
        row = {"eps": float(eps), **attack_metrics(images, labels, clean_pred, result, cfg.method == "evolution")}
        row["seconds"] = round(time.perf_counter() - t0, 3)
        rows.append(row)
    assert result is not None
    return rows, result


# --------------------------------------------------------------------------- pictures


def plot_success_curves(curves: dict[str, list[tuple[float, float]]], path: str | Path, norm: str = "linf",
                        title: str = "attack success rate") -> None:
    """One line per attack: success rate (y) against the budget epsilon (x)."""
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, points in curves.items():
        pts = [(e, s) for e, s in points if s is not None]
        targeted = "targeted" in label and "untargeted" not in label
        ax.plot([e for e, _ in pts], [100 * s for _, s in pts], marker="o", ms=4, ls="--" if targeted else "-", label=label)
    ax.set_xlabel(f"epsilon ({'L-inf' if norm == 'linf' else 'L2'})")
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(-2, 102)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_gallery(images: torch.Tensor, result: AttackResult, clean_pred: torch.Tensor, clean_conf: torch.Tensor,
                 class_names: Sequence[str], path: str | Path, k: int = 8) -> None:
    """Rows of (original, magnified perturbation, adversarial image), titled with classes and confidences."""
    import numpy as np

    from dlbox.plots import plot_image_grid

    k = min(k, len(images))
    if k == 0:
        return
    x, adv = images[:k].detach().cpu(), result.adversarial[:k].detach().cpu()
    delta = adv - x
    scale = delta.flatten(1).abs().amax(1).clamp_min(1e-12)
    shown = (0.5 + 0.5 * delta / scale.view(-1, 1, 1, 1)).clamp(0, 1)  # grey = no change
    tiles, titles = [], []
    for i in range(k):
        tiles += [x[i], shown[i], adv[i]]
        tgt = "" if result.target is None else f", target {class_names[int(result.target[i])]}"
        titles += [
            f"clean: {class_names[int(clean_pred[i])]} ({float(clean_conf[i]):.2f})",
            f"perturbation x{0.5 / float(scale[i]):.1f}{tgt}\nLinf {float(scale[i]):.3f}, L2 {float(delta[i].norm()):.2f}",
            f"adv: {class_names[int(result.pred[i])]} ({float(result.confidence[i]):.2f})"
            + ("" if bool(result.success[i]) else "\n(failed)"),
        ]
    arr = torch.stack(tiles).permute(0, 2, 3, 1).numpy().astype(np.float32)
    plot_image_grid(arr, titles, path, cols=3)


# --------------------------------------------------------------------------- the command


def load_images(cfg: AttackConfig, model: nn.Module, run: Path) -> tuple[torch.Tensor, torch.Tensor | None, list[str], str]:
    """Images (and labels, None for loose image files) of ``cfg.data``; a seeded subset of ``cfg.n``."""
    from dlbox.config import ClassifyConfig, DataConfig, from_dict, load_yaml
    from dlbox.data import load_dataset
    from dlbox.data.images import IMAGE_SUFFIXES, read_image

    meta = model.dlbox_meta
    channels, size = int(meta["input"]["channels"]), tuple(meta["input"]["size"])
    class_names = list(meta["class_names"])
    data = cfg.data
    path = None if not data or data in ("digits", "shapes") or data.startswith("folder:") else Path(data)
    if path is not None and not (path.exists() or path.suffix.lower() in IMAGE_SUFFIXES):
        raise FileNotFoundError(f"--data {data!r} is neither a dataset (digits, shapes, folder:PATH) nor an image file or directory")
    if path is not None:
        files = [path] if not path.is_dir() else sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"--data {path}: no image files there ({', '.join(sorted(IMAGE_SUFFIXES))})")
        images = torch.stack([read_image(f, channels, size) for f in files])  # BadImageError names the file
        source = f"images:{path}"
        labels = None
    else:
        data_cfg = DataConfig()
        if (run / "config.yaml").is_file():
            data_cfg = from_dict(ClassifyConfig, load_yaml(run / "config.yaml")).data
        if data:
            data_cfg.name = data
        data_cfg.image_size = size[0] if size[0] == size[1] else None
        bundle = load_dataset(data_cfg)
        if bundle.class_names != class_names:
            raise ValueError(f"dataset {data_cfg.name!r} has classes {bundle.class_names} but the model was trained on {class_names}")
        if cfg.split not in ("train", "val", "test"):
            raise ValueError(f"--split {cfg.split!r} is not valid; use train, val or test")
        part = getattr(bundle, cfg.split)
        if not isinstance(part, dict):
            raise ValueError("attacking a streamed (very large) folder is not supported; raise data.in_memory_limit_mb")
        images, labels = part["image"], part["label"]
        if tuple(images.shape[1:]) != (channels, *size):
            raise ValueError(f"dataset images are {tuple(images.shape[1:])} but the model expects {(channels, *size)}")
        source = data_cfg.name
    if cfg.n is not None and cfg.n < len(images):
        keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.n].sort().values
        images = images[keep]
        labels = None if labels is None else labels[keep]
    return images, labels, class_names, source


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but no CUDA device is available")
    return torch.device(name)


def attack_run(cfg: AttackConfig) -> Path:
    """``dlbox attack``: attack ``cfg.run``'s model on ``cfg.data``; returns the complete run directory.

    Writes ``config.yaml``, ``adversarial.safetensors`` (clean and adversarial
    images of the last epsilon, labels, targets, success), ``gallery.png``,
    ``success_vs_eps.png`` (several epsilons) and, last, ``metrics.json``.
    """
    from dlbox.config import save_yaml
    from dlbox.engine.rundir import new_run_dir, require_run_dir, write_json
    from dlbox.model_io import load_model

    if not cfg.run:
        raise ValueError("--run is required: a finished classify run directory")
    run = require_run_dir(cfg.run)
    device = _device(cfg.device)
    model = load_model(run, device)
    meta = model.dlbox_meta
    shape = (int(meta["input"]["channels"]), *map(int, meta["input"]["size"]))
    check_config(cfg, shape)
    target_spec = resolve_target(cfg.target, meta["class_names"])
    images, labels, class_names, source = load_images(cfg, model, run)
    images = images.to(device)
    clean_pred, clean_conf = predict(model, images, cfg.batch_size)
    labels_from = "dataset"
    if labels is None:  # loose image files: the clean prediction stands in for the label
        labels, labels_from = clean_pred.clone(), "model prediction on the clean image"
    labels = labels.to(device)

    target = None
    if target_spec == "random":
        target = random_targets(labels, len(class_names), torch.Generator().manual_seed(cfg.seed + 1)).to(device)
    elif target_spec is not None:
        target = torch.full_like(labels, int(target_spec))
    out = new_run_dir(TASK, cfg.name, cfg.out)
    save_yaml(cfg, out / "config.yaml")
    rows, result = sweep(model, images, labels, cfg, target, sorted(float(e) for e in cfg.eps))
    _save_tensors(out / "adversarial.safetensors", images, result, labels)
    order = _gallery_order(labels, clean_pred, result)
    save_gallery(images[order], _take(result, order), clean_pred[order], clean_conf[order], class_names,
                 out / "gallery.png", cfg.gallery)
    if len(rows) > 1:
        label = f"{cfg.method} ({'targeted ' + str(cfg.target) if target is not None else 'untargeted'})"
        plot_success_curves({label: [(r["eps"], r["success_rate"]) for r in rows]}, out / "success_vs_eps.png", cfg.norm)
    last = rows[-1]
    metrics = {
        "run": str(run),
        "data": source,
        "split": cfg.split if labels_from == "dataset" else None,
        "labels": labels_from,
        "method": cfg.method,
        "black_box": cfg.method == "evolution",
        "norm": cfg.norm,
        "target": cfg.target,
        **{k: v for k, v in last.items()},
        "by_eps": rows,
    }
    write_json(out / "metrics.json", metrics)  # last: marks the run complete
    return out


def _gallery_order(labels: torch.Tensor, clean_pred: torch.Tensor, result: AttackResult) -> torch.Tensor:
    """Attacked images first (successes before failures), then the rest; stable within groups."""
    attacked = clean_pred == labels
    if result.target is not None:
        attacked &= labels != result.target
    key = (~attacked).long() * 2 + (~result.success).long()
    return torch.sort(key.cpu(), stable=True).indices.to(labels.device)


def _take(result: AttackResult, idx: torch.Tensor) -> AttackResult:
    return AttackResult(result.adversarial[idx], result.success[idx], result.pred[idx], result.confidence[idx],
                        result.queries[idx], None if result.target is None else result.target[idx])


def _save_tensors(path: Path, images: torch.Tensor, result: AttackResult, labels: torch.Tensor) -> None:
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
