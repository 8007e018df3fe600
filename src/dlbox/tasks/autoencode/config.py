"""``dlbox autoencode train|denoise|anomaly|manifold``: the run configuration (saved as ``config.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlbox.config import ModelConfig, OptimConfig, TrainConfig, TrainRunConfig

MODES = ("train", "denoise", "anomaly", "manifold")


@dataclass
class AttackOptions:
    """Adversarial examples of normal test images, scored as anomalies (notes 3.10.1 meets 3.10.3)."""

    run: str | None = None  # a finished classify run (RUN_DIR) whose classifier is attacked; None: no attack
    method: str = "pgd"  # fgsm | ifgsm | pgd | evolution
    eps: float = 0.3
    norm: str = "linf"  # linf | l2
    target: str = "random"  # none | random | CLASS


@dataclass
class AnomalyOptions:
    """Anomaly detection by reconstruction error (notes 3.10.3)."""

    normal: list[str] | None = None  # class names (or indices) trained on; default: the first half of the classes
    threshold_quantile: float = 0.95  # threshold = this quantile of held-out normal (validation) errors
    attack: AttackOptions = field(default_factory=AttackOptions)


@dataclass
class AutoencodeOptions:
    """What is specific to autoencoders: the mode, the input noise, and what the reports show."""

    mode: str = "train"  # train | denoise | anomaly | manifold (the command)
    noise: float = 0.0  # Gaussian noise sigma on training inputs (denoising; the target stays clean)
    clip_noise: bool = False  # clamp noisy images to [0, 1]
    grid: int = 15  # manifold: decodings per side of the latent grid
    show: int = 8  # images in reconstruction galleries (train, denoise, anomaly)
    anomaly: AnomalyOptions = field(default_factory=AnomalyOptions)


@dataclass
class AutoencodeConfig(TrainRunConfig):
    """``dlbox autoencode MODE``: the shared sections (with autoencoder defaults) plus ``autoencode``."""

    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="conv_autoencoder"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-2))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=30, batch_size=32, monitor="val_loss"))
    autoencode: AutoencodeOptions = field(default_factory=AutoencodeOptions)


def default_config(mode: str = "train") -> AutoencodeConfig:
    """The defaults of ``mode``: denoising gets noise 0.3 and a wider, 32-d model trained longer; the manifold a 2-D code."""
    cfg = AutoencodeConfig(autoencode=AutoencodeOptions(mode=mode))
    if mode == "denoise":
        cfg.autoencode.noise = 0.3
        cfg.model.kwargs = {"channels": [64, 128], "latent_dim": 32}
        cfg.optim.lr = 3e-3
        cfg.train.epochs = 100
    elif mode == "manifold":
        cfg.model.kwargs = {"latent_dim": 2}
    return cfg


_OLD_TOP = ("mode", "noise", "clip_noise", "grid", "show")
_OLD_ATTACK = {"classifier": "run", "attack_method": "method", "attack_eps": "eps", "attack_norm": "norm", "attack_target": "target"}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A ``config.yaml`` written before the shared vocabulary in today's keys.

    Then ``mode``, ``noise``, ``clip_noise``, ``grid``, ``show`` and ``anomaly`` sat at the top level and
    the anomaly section named its attack ``classifier``, ``attack_method``, ... (now ``anomaly.attack.run``,
    ``anomaly.attack.method``, ...). The caller's dict is not changed.
    """
    data = dict(data)
    section = dict(data.get("autoencode") or {})
    for key in _OLD_TOP:
        if key in data:
            section[key] = data.pop(key)
    if "anomaly" in data:
        old = dict(data.pop("anomaly") or {})
        attack = dict(old.get("attack") or {})
        for before, now in _OLD_ATTACK.items():
            if before in old:
                attack[now] = old.pop(before)
        if attack:
            old["attack"] = attack
        section["anomaly"] = {**dict(section.get("anomaly") or {}), **old}
    if section:
        data["autoencode"] = section
    return data
