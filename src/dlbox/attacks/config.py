"""``dlbox attack`` configuration (saved as ``config.yaml`` in the attack's run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

METHODS = ("fgsm", "ifgsm", "pgd", "evolution")
DEFAULT_STEPS = {"ifgsm": 10, "pgd": 40}


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
    device: str = "cpu"  # cpu | cuda | auto
