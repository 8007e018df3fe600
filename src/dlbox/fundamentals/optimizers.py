"""Gradient-descent update rules: plain, momentum and Nesterov momentum (notes 2.1).

Sign convention. The notes write the step as ``w = w + mu grad L(w)`` with a signed step
``mu``; here ``lr > 0`` is the size of the step *against* the gradient, i.e. ``mu = -lr``.
Velocities are the notes' ``v``: ``v_t = -lr grad L + alpha v_{t-1}`` and ``w_{t+1} = w_t + v_t``.
``torch.optim.SGD`` keeps ``b_t = alpha b_{t-1} + g`` and steps ``p -= lr b_t``: the same
method with ``v = -lr b`` (for a constant ``lr``, no dampening, no weight decay).

All functions are pure: they take lists of arrays and return new lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Arrays = Sequence[np.ndarray]


def zero_velocity(params: Arrays) -> list[np.ndarray]:
    """``v_0 = 0`` for every parameter."""
    return [np.zeros_like(p) for p in params]


def gradient_descent_step(params: Arrays, grads: Arrays, lr: float) -> list[np.ndarray]:
    """One step of size ``lr`` against the gradient."""
    # notes 2.1: w = w + mu grad L(w), with mu = -lr
    return [p - lr * g for p, g in zip(params, grads, strict=True)]


def momentum_step(
    params: Arrays, grads: Arrays, velocity: Arrays, lr: float, alpha: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Momentum: ``(w_{t+1}, v_t)`` from ``w_t``, ``grad L(w_t)`` and ``v_{t-1}``."""
    # notes 2.1: v_t = mu grad L(w_t) + alpha v_{t-1}, with mu = -lr
    new_velocity = [alpha * v - lr * g for v, g in zip(velocity, grads, strict=True)]
    # notes 2.1: w_{t+1} = w_t + v_t
    return [p + v for p, v in zip(params, new_velocity, strict=True)], new_velocity


def nesterov_lookahead(params: Arrays, velocity: Arrays, alpha: float) -> list[np.ndarray]:
    """``w_t + alpha v_{t-1}``: where Nesterov momentum evaluates the gradient."""
    # notes 2.1 (Nesterov): apply the momentum before computing the gradient
    return [p + alpha * v for p, v in zip(params, velocity, strict=True)]


def nesterov_step(
    params: Arrays, lookahead_grads: Arrays, velocity: Arrays, lr: float, alpha: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Nesterov momentum as the notes state it: ``lookahead_grads = grad L(w_t + alpha v_{t-1})``."""
    # notes 2.1 (Nesterov): the momentum step with the gradient taken at the look-ahead point
    return momentum_step(params, lookahead_grads, velocity, lr, alpha)


def nesterov_step_at_lookahead(
    lookahead: Arrays, grads: Arrays, velocity: Arrays, lr: float, alpha: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Nesterov momentum in the look-ahead variables ``theta_t = w_t + alpha v_{t-1}`` (PyTorch's form).

    Stores ``theta`` instead of ``w`` so that the gradient is taken at the stored parameters:
    ``v_t = alpha v_{t-1} - lr grad L(theta_t)`` and ``theta_{t+1} = theta_t + alpha v_t - lr grad L(theta_t)``
    (substitute ``w_{t+1} = w_t + v_t`` into ``theta_{t+1} = w_{t+1} + alpha v_t``).
    """
    new_velocity = [alpha * v - lr * g for v, g in zip(velocity, grads, strict=True)]
    stepped = [t + alpha * v - lr * g for t, v, g in zip(lookahead, new_velocity, grads, strict=True)]
    return stepped, new_velocity
