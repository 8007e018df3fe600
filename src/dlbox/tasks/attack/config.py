"""``dlbox attack`` configuration (saved as ``config.yaml`` in the attack's run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlbox.attacks.dispatch import check_method, check_settings
from dlbox.attacks.norms import check_eps, check_norm


@dataclass
class AttackConfig:
    """Attack a trained classifier's images; every field has a ``--set`` key of the same name."""

    name: str | None = None  # run name under runs/attack/
    out: str | None = None  # explicit run directory
    run: str | None = None  # the classifier's run directory
    data: str | None = None  # digits | shapes | folder:PATH | an image file | a directory of images (default: the run's dataset)
    split: str = "test"  # train | val | test (datasets only)
    n: int | None = 256  # images attacked (a seeded random subset of the split); None = all
    method: str = "pgd"  # fgsm | ifgsm | pgd | evolution
    target: str = "none"  # none (untargeted) | random (a random wrong class per image) | a class name or index
    eps: list[float] = field(default_factory=lambda: [0.3])  # budgets; several make a success-vs-epsilon curve
    norm: str = "linf"  # linf | l2
    steps: int | None = None  # ifgsm / pgd iterations (default 10 / 40)
    step_size: float | None = None  # default 2.5 * eps / steps
    random_start: bool = True  # pgd: start at a random point of the ball
    restarts: int = 1  # pgd: retries from new random starts for images not yet fooled
    population: int = 8  # evolution: parents (mu)
    offspring: int = 24  # evolution: children per generation (lambda)
    sigma: float = 1.0  # evolution: initial mutation strength, as a fraction of eps
    max_queries: int = 2000  # evolution: model queries allowed per image
    batch_size: int = 512  # images attacked together
    seed: int = 0
    gallery: int = 8  # images shown in gallery.png
    accelerator: str = "cpu"  # cpu | cuda | mps | auto


def attack_options(cfg: AttackConfig) -> dict[str, Any]:
    """The keyword arguments of :func:`dlbox.attacks.attack` that ``cfg`` sets (all but eps and target)."""
    keys = ("method", "norm", "steps", "step_size", "random_start", "restarts", "population", "offspring", "sigma",
            "max_queries", "batch_size", "seed")
    return {k: getattr(cfg, k) for k in keys}


def check_config(cfg: AttackConfig, image_shape: tuple[int, ...]) -> None:
    """Every user-set value of ``cfg`` that can be checked before attacking; clear errors otherwise."""
    check_method(cfg.method)
    check_norm(cfg.norm)
    if not cfg.eps:
        raise ValueError("give at least one epsilon")
    for eps in cfg.eps:
        check_eps(eps, cfg.norm, image_shape)
    if cfg.n is not None and cfg.n < 1:
        raise ValueError(f"--n must be at least 1, got {cfg.n}")
    check_settings(cfg.steps, cfg.restarts, cfg.population, cfg.offspring, cfg.max_queries, cfg.batch_size)
