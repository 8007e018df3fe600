"""``dlbox autoencode train|denoise|anomaly|manifold``: the autoencoder recipe for the one training run.

Every mode trains the same way (mean-squared reconstruction, :class:`~dlbox.tasks.autoencode.step.AutoencoderStep`,
through :func:`dlbox.engine.training.train`) and differs in what it trains on and what it measures afterwards
(:mod:`dlbox.tasks.autoencode.evaluate`):

- ``train``: all classes, clean inputs; reconstruction error and PSNR on the test split.
- ``denoise``: noisy inputs, clean targets; PSNR of noisy versus denoised held-out images.
- ``anomaly``: the normal classes only; ROC-AUC of reconstruction error, normal versus
  anomalous test images (and adversarial examples of a classifier, with ``anomaly.attack.run``).
- ``manifold``: a 2-D code (by default); codes scattered by class and a grid of decodings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.autoencode.config import MODES, AnomalyOptions, AutoencodeConfig, AutoencodeOptions, upgrade  # noqa: F401  (upgrade: picked up by Recipe.of)

# Shared fields an autoencoder run does not use (setting one is an error; the CLI hides their options):
UNUSED = (
    "init",  # no run to start from: every autoencoder trains from scratch
    "optim.backbone_lr_mult",  # no backbone/head split (that is classify's fine-tuning)
    "data.augment",  # no augmentation: the target is the input itself
    "data.num_workers",  # autoencoders need in-memory splits; workers only stream large folders
)


def train(cfg: AutoencodeConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train an autoencoder as ``cfg`` says (or continue ``resume``), run its mode's evaluation; return the run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or AutoencodeConfig(), resume, changes)


def check(cfg: AutoencodeConfig) -> None:
    """Autoencoder options: valid values, and no option that the mode would ignore."""
    opts = cfg.autoencode
    if opts.mode not in MODES:
        raise ValueError(f"autoencode mode {opts.mode!r} is not valid; use one of {', '.join(MODES)}")
    if opts.noise < 0:
        raise ValueError(f"--noise (autoencode.noise) must be non-negative, got {opts.noise}")
    if opts.mode == "denoise" and opts.noise <= 0:
        raise ValueError("denoising needs a positive --noise sigma (e.g. 0.3)")
    if opts.clip_noise and opts.noise <= 0:
        raise ValueError("--clip-noise (autoencode.clip_noise) clamps noisy inputs; it needs --noise above 0")
    if not 0 < opts.anomaly.threshold_quantile < 1:
        raise ValueError(f"--threshold-quantile (autoencode.anomaly.threshold_quantile) must lie in (0, 1), got {opts.anomaly.threshold_quantile}")
    if opts.mode == "anomaly" and cfg.data.val_fraction <= 0:
        raise ValueError("anomaly detection chooses its threshold on held-out normal images: data.val_fraction must be above 0")
    if opts.grid < 2:
        raise ValueError(f"--grid (autoencode.grid) must be at least 2, got {opts.grid}")
    if opts.show < 0:
        raise ValueError(f"autoencode.show must be non-negative, got {opts.show}")
    defaults = AutoencodeOptions()
    ignored = [
        ("autoencode.anomaly", opts.anomaly != defaults.anomaly, opts.mode != "anomaly", "anomaly"),
        ("autoencode.grid", opts.grid != defaults.grid, opts.mode != "manifold", "manifold"),
        ("autoencode.show", opts.show != defaults.show, opts.mode == "manifold", "train, denoise and anomaly"),
    ]
    for key, is_set, ignored_here, used_by in ignored:
        if is_set and ignored_here:
            raise ValueError(f"{key} does nothing in `dlbox autoencode {opts.mode}` (only {used_by} use it); remove it")
    _check_attack(opts.anomaly)


def _check_attack(anomaly: AnomalyOptions) -> None:
    attack = anomaly.attack
    if attack.run is None:
        changed = [f.name for f in dataclasses.fields(attack) if getattr(attack, f.name) != getattr(type(attack)(), f.name)]
        if changed:
            raise ValueError(
                f"autoencode.anomaly.attack.{changed[0]} is set but there is no classifier to attack; "
                "give --attack-run CLASSIFY_RUN (autoencode.anomaly.attack.run)"
            )
        return
    from dlbox.tasks.autoencode.adversarial import classifier_info

    classifier_info(attack)


def load_data(cfg: AutoencodeConfig) -> Any:
    """The dataset, in memory; anomaly mode: train and validation keep only the normal classes."""
    from dlbox.autoencoders.anomaly import filter_classes
    from dlbox.data import load_dataset

    bundle = load_dataset(cfg.data)
    for part in ("train", "val", "test"):
        if not isinstance(getattr(bundle, part), dict):
            raise ValueError("autoencoders need in-memory datasets; raise data.in_memory_limit_mb for this folder")
    if cfg.autoencode.mode != "anomaly":
        return bundle
    normal = _normal(cfg, bundle)
    train, val = filter_classes(bundle.train, normal), filter_classes(bundle.val, normal)
    if len(train["label"]) == 0:
        raise ValueError(f"no training images of the normal classes {[bundle.class_names[i] for i in normal]}")
    attack = cfg.autoencode.anomaly.attack
    if attack.run:
        from dlbox.tasks.autoencode.adversarial import classifier_info

        shape, _ = classifier_info(attack)
        if shape != (bundle.in_channels, *bundle.image_size):
            raise ValueError(f"--attack-run {attack.run} takes {shape} images but this dataset's are "
                             f"{(bundle.in_channels, *bundle.image_size)}; use a classifier of the same data")
    sizes = {**bundle.info.get("sizes", {}), "train": len(train["label"]), "val": len(val["label"])}
    return dataclasses.replace(bundle, train=train, val=val, info={**bundle.info, "sizes": sizes})


def _normal(cfg: AutoencodeConfig, bundle: Any) -> list[int] | None:
    """Indices of the normal classes (anomaly mode), else None."""
    from dlbox.autoencoders.anomaly import normal_class_indices

    if cfg.autoencode.mode != "anomaly":
        return None
    return normal_class_indices(cfg.autoencode.anomaly.normal, bundle.class_names)


def build_model(cfg: AutoencodeConfig, bundle: Any) -> Any:
    from dlbox.models import create_model

    shape = {"in_channels": bundle.in_channels, "image_size": list(bundle.image_size)}
    return create_model(cfg.model.name, **{**shape, **cfg.model.kwargs})


def make_step(run: Run) -> Any:
    from dlbox.tasks.autoencode.step import AutoencoderStep

    return AutoencoderStep(run)


def _normal_names(cfg: AutoencodeConfig, bundle: Any) -> list[str] | None:
    normal = _normal(cfg, bundle)
    return None if normal is None else [bundle.class_names[i] for i in normal]


def _latent_dim(run: Run) -> int | None:
    from dlbox.engine.run import unwrap

    return int(getattr(unwrap(run.eval_model), "latent_dim", 0)) or None


def model_meta(run: Run) -> dict[str, Any]:
    return {
        "mode": run.cfg.autoencode.mode,
        "latent_dim": _latent_dim(run),
        "noise": run.cfg.autoencode.noise,
        "normal_classes": _normal_names(run.cfg, run.bundle),
    }


def data_info(cfg: AutoencodeConfig, bundle: Any) -> dict[str, Any]:
    return {"normal_classes": _normal_names(cfg, bundle)}


def finish(run: Run) -> dict[str, Any]:
    """The mode's test measurements and figures (metrics.json entries and PNGs)."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.autoencode.evaluate import evaluate_mode

    model = unwrap(run.eval_model).eval()
    report = evaluate_mode(run.cfg, model, run.bundle, _normal(run.cfg, run.bundle), run.run_dir, run.device)
    return {"mode": run.cfg.autoencode.mode, **report, "latent_dim": _latent_dim(run)}


RECIPE = Recipe.of(__name__, task="autoencode", config_type=AutoencodeConfig, monitors=("val_loss", "val_psnr"),
                   unused=UNUSED)
