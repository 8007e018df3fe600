"""Adversarial attacks (notes 3.10.1): white-box gradient attacks and a black-box evolutionary one.

- :mod:`~dlbox.attacks.gradient`: FGSM, iterative FGSM and PGD; L-infinity or L2 budgets; targeted or not.
- :mod:`~dlbox.attacks.evolution`: a (mu + lambda) evolution strategy that reads only output probabilities.
- :mod:`~dlbox.attacks.norms`: norms, projections onto epsilon balls, random starts.
- :mod:`~dlbox.attacks.evaluate`: metrics, galleries, success-versus-epsilon curves and ``dlbox attack`` runs.
"""

from dlbox.attacks.base import AttackResult, margin, random_targets
from dlbox.attacks.config import AttackConfig
from dlbox.attacks.evolution import evolution_attack, probabilities
from dlbox.attacks.gradient import fgsm, iterative_fgsm, pgd

__all__ = ["AttackConfig", "AttackResult", "evolution_attack", "fgsm", "iterative_fgsm", "margin", "pgd", "probabilities", "random_targets"]
