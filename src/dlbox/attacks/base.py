"""What every attack shares: its result record, targets, the objective and the success test.

A target is either ``None`` (untargeted: any class but the true one), class
indices ``(B,)``, or the wanted probability distribution ``p (B, K)`` of the
notes (3.10.1): a one-hot ``p`` asks for one class, a soft one for a mix. A
targeted attack succeeds when the model's top class is ``argmax p``; an
untargeted one when the top class differs from the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class AttackResult:
    """Adversarial images and what each one achieved (one row per input image)."""

    adversarial: torch.Tensor  # (B, C, H, W) in [0, 1], inside the epsilon ball around the input
    success: torch.Tensor  # (B,) bool
    pred: torch.Tensor  # (B,) the model's class for the adversarial image
    confidence: torch.Tensor  # (B,) the model's probability of that class
    queries: torch.Tensor  # (B,) int64: model evaluations spent on the image (forward, or forward+backward)
    target: torch.Tensor | None  # (B,) class indices, or None for untargeted


def random_targets(labels: torch.Tensor, num_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A uniformly random class other than each label (the usual "random target" protocol)."""
    if num_classes < 2:
        raise ValueError("a targeted attack needs at least two classes")
    shift = torch.randint(1, num_classes, labels.shape, generator=generator, device=generator.device if generator else "cpu")
    return (labels + shift.to(labels.device)) % num_classes


def resolve_target(target: str | None, class_names: Sequence[str]) -> int | str | None:
    """A target spec: ``"none"`` -> None, ``"random"`` -> "random", a class name or index -> its index (else a clear error)."""
    if target in (None, "", "none"):
        return None
    if target == "random":
        return "random"
    names = list(class_names)
    if target in names:
        return names.index(target)
    try:
        index = int(target)
    except ValueError:
        index = None
    if index is not None and 0 <= index < len(names):
        return index
    shown = ", ".join(names) if len(names) <= 30 else ", ".join(names[:30]) + ", ..."
    raise ValueError(f"target class {target!r} is not one the model knows; its classes are: {shown} "
                     f"(or an index 0-{len(names) - 1}, 'random' or 'none')")


def targets_for(target: str | None, labels: torch.Tensor, class_names: Sequence[str], seed: int = 0) -> torch.Tensor | None:
    """Target classes ``(N,)`` for ``labels`` from a spec (see :func:`resolve_target`); None when untargeted.

    ``random`` draws a wrong class per image from a generator seeded with ``seed``.
    """
    spec = resolve_target(target, class_names)
    if spec is None:
        return None
    if spec == "random":
        return random_targets(labels, len(class_names), torch.Generator().manual_seed(seed)).to(labels.device)
    return torch.full_like(labels, int(spec))


def target_classes(target: torch.Tensor | None) -> torch.Tensor | None:
    """Class indices ``(B,)`` of a target given as indices or as distributions ``(B, K)``."""
    if target is None:
        return None
    return target.argmax(1) if target.ndim == 2 else target


def check_target(target: torch.Tensor | None, batch: int, num_classes: int | None = None) -> None:
    if target is None:
        return
    if target.shape[0] != batch or target.ndim not in (1, 2):
        raise ValueError(f"target must be (B,) class indices or (B, K) distributions with B={batch}, got {tuple(target.shape)}")
    if target.ndim == 1 and num_classes is not None and len(target) and (int(target.min()) < 0 or int(target.max()) >= num_classes):
        raise ValueError(f"target classes must lie in [0, {num_classes - 1}]")


def ascent_objective(logits: torch.Tensor, labels: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Per-image objective the gradient attacks *increase* ``(B,)``.

    Untargeted: the cross-entropy with the true label, ``L(f(x), y)``. Targeted:
    ``-L(f(x), p) = sum_k p_k log f_k(x)``, so ascending it walks toward ``p``.
    """
    logp = logits.float().log_softmax(1)
    if target is None:
        return -logp.gather(1, labels[:, None]).squeeze(1)
    if target.ndim == 1:
        return logp.gather(1, target[:, None]).squeeze(1)
    return (target.to(logp.dtype) * logp).sum(1)


def margin(logp: torch.Tensor, labels: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Log-probability margin ``(N,)`` that is negative exactly when the attack has succeeded.

    Untargeted: ``log p_y - max_{j != y} log p_j``; targeted: ``max_{j != t} log p_j - log p_t``.
    Reads only (log-)probabilities, so black-box attacks can use it.
    """
    cls = labels if target is None else target_classes(target)
    own = logp.gather(1, cls[:, None]).squeeze(1)
    others = logp.scatter(1, cls[:, None], float("-inf")).amax(1)
    return own - others if target is None else others - own


def succeeded(logits: torch.Tensor, labels: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    pred = logits.argmax(1)
    return pred != labels if target is None else pred == target_classes(target)
