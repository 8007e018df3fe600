"""The fundamentals studies (notes 1, 2) with run directories, CSV tables and plots; the numbers come from
:mod:`dlbox.fundamentals` (NumPy only)."""

from dlbox.tasks.fundamentals.studies import (
    StudyRun,
    run_approximation_study,
    run_backprop_study,
    run_optimizers_study,
    run_perceptron_study,
    run_vanishing_study,
)

__all__ = [
    "StudyRun",
    "run_approximation_study",
    "run_backprop_study",
    "run_optimizers_study",
    "run_perceptron_study",
    "run_vanishing_study",
]
