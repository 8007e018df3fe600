"""``dlbox autoencode`` configuration (saved as ``config.yaml`` in each run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.config import DataConfig, FabricConfig, ModelConfig, OptimConfig, TrainConfig

MODES = ("train", "denoise", "anomaly", "manifold")


@dataclass
class AnomalyConfig:
    normal: list[str] | None = None  # class names (or indices) trained on; default: the first half of the classes
    threshold_quantile: float = 0.95  # threshold = this quantile of held-out normal (validation) errors
    classifier: str | None = None  # a classify run: also score its adversarial examples of normal test images
    attack_method: str = "pgd"  # fgsm | ifgsm | pgd | evolution
    attack_eps: float = 0.3
    attack_norm: str = "linf"
    attack_target: str = "random"  # none | random | CLASS


@dataclass
class AutoencodeConfig:
    """``dlbox autoencode train|denoise|anomaly|manifold``."""

    mode: str = "train"
    name: str | None = None  # run name under runs/autoencode/
    out: str | None = None  # explicit run directory
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="conv_autoencoder"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-2))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=30, batch_size=32, monitor="val_loss"))
    fabric: FabricConfig = field(default_factory=FabricConfig)
    noise: float = 0.0  # Gaussian noise sigma on training inputs (denoising; the target stays clean)
    clip_noise: bool = False  # clamp noisy images to [0, 1]
    anomaly: AnomalyConfig = field(default_factory=AnomalyConfig)
    grid: int = 15  # manifold: decodings per side of the latent grid
    show: int = 8  # images in reconstruction galleries


def default_config(mode: str = "train") -> AutoencodeConfig:
    """The defaults of ``mode``: denoising gets noise 0.3 and a wider, 32-d model trained longer; the manifold a 2-D code."""
    cfg = AutoencodeConfig(mode=mode)
    if mode == "denoise":
        cfg.noise = 0.3
        cfg.model.kwargs = {"channels": [64, 128], "latent_dim": 32}
        cfg.optim.lr = 3e-3
        cfg.train.epochs = 100
    elif mode == "manifold":
        cfg.model.kwargs = {"latent_dim": 2}
    return cfg
