"""Two moons: two interleaved half circles, a small 2-D data set no line separates (used by notes 2.1 studies)."""

from __future__ import annotations

import numpy as np


def two_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` points on two half circles plus Gaussian noise: ``x`` ``(N, 2)``, labels ``(N, 1)`` in {0., 1.}.

    Class 0 lies on the upper unit half circle, class 1 on the lower one shifted by ``(1, 0.5)``;
    each sample's class is drawn uniformly and ``noise`` is the noise's standard deviation.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n_samples)  # (N,)
    label = rng.integers(0, 2, n_samples)  # (N,)
    # class 1: the half circle mirrored (sin -> -sin) and shifted by (1, 0.5)
    x = np.stack([np.cos(angle) + label * 1.0, np.sin(angle) * (1 - 2 * label) + label * 0.5], axis=1)  # (N, 2)
    return x + rng.normal(0, noise, x.shape), label[:, None].astype(float)
