"""Sample quality through a classifier trained on the real data: confidence and class diversity.

Confident predictions suggest recognisable samples; an even histogram of predicted classes
(entropy near ``log K``) suggests the generator covers every class, a low one suggests mode collapse.
"""

from __future__ import annotations

import torch
import torch.nn as nn


@torch.no_grad()
def class_probabilities(classifier: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Softmax class probabilities ``(N, K)`` of ``images`` ``(N, C, H, W)``, in eval mode (mode restored).

    Batches are moved to the classifier's device; the result is on that device."""
    device = next(classifier.parameters()).device
    was_training = classifier.training
    classifier.eval()
    try:
        return torch.cat([torch.softmax(classifier(batch.to(device)).float(), dim=1) for batch in images.split(batch_size)])
    finally:
        classifier.train(was_training)


def mean_confidence(probs: torch.Tensor) -> float:
    """Mean over images of the top class probability ``max_k p_k``; in [1/K, 1]."""
    return float(probs.max(dim=1).values.mean())


def predicted_class_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Fraction of images predicted as each class ``(K,)`` (argmax), summing to 1."""
    counts = torch.bincount(probs.argmax(dim=1), minlength=probs.shape[1]).double()
    return counts / counts.sum()


def predicted_class_entropy(probs: torch.Tensor) -> float:
    """Entropy (nats) of :func:`predicted_class_histogram`: 0 if one class, ``log K`` if all equally often."""
    h = predicted_class_histogram(probs)
    h = h[h > 0]  # 0 log 0 = 0
    return float(-(h * h.log()).sum())
