"""Adversarial attacks (notes 3.10.1): white-box gradient attacks and a black-box evolutionary one.

- :mod:`~dlbox.attacks.gradient`: FGSM, iterative FGSM and PGD; L-infinity or L2 budgets; targeted or not.
- :mod:`~dlbox.attacks.evolution`: a (mu + lambda) evolution strategy that reads only output probabilities.
- :mod:`~dlbox.attacks.norms`: norms, projections onto epsilon balls, random starts.
- :mod:`~dlbox.attacks.dispatch`: :func:`attack`, any method by name over any number of images.
- :mod:`~dlbox.attacks.metrics`: success rate, perturbation sizes and queries of an attack.

The ``dlbox attack`` command (run directories, galleries, curves) is :mod:`dlbox.tasks.attack`.
"""

from dlbox.attacks.base import AttackResult, margin, random_targets, resolve_target, targets_for
from dlbox.attacks.dispatch import METHODS, attack
from dlbox.attacks.evolution import evolution_attack, probabilities
from dlbox.attacks.gradient import fgsm, iterative_fgsm, pgd
from dlbox.attacks.metrics import attack_metrics, predict

__all__ = [
    "METHODS", "AttackResult", "attack", "attack_metrics", "evolution_attack", "fgsm", "iterative_fgsm", "margin", "pgd",
    "predict", "probabilities", "random_targets", "resolve_target", "targets_for",
]
