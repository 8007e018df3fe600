"""Target specs: none, random (a wrong class per image), a class name or index."""

import pytest
import torch

from dlbox.attacks.base import resolve_target, targets_for


def test_resolve_target():
    names = ["circle", "square", "triangle"]
    assert resolve_target("none", names) is None
    assert resolve_target("random", names) == "random"
    assert resolve_target("square", names) == 1
    assert resolve_target("2", names) == 2
    with pytest.raises(ValueError, match="circle, square, triangle"):
        resolve_target("hexagon", names)
    with pytest.raises(ValueError, match="not one the model knows"):
        resolve_target("3", names)


def test_targets_for():
    labels = torch.tensor([0, 1, 2, 0, 1, 2] * 5)
    names = ["a", "b", "c"]
    assert targets_for("none", labels, names) is None
    assert torch.equal(targets_for("c", labels, names), torch.full_like(labels, 2))
    r = targets_for("random", labels, names, seed=4)
    assert bool((r != labels).all()) and r.min() >= 0 and r.max() <= 2
    assert torch.equal(r, targets_for("random", labels, names, seed=4))  # seeded
    assert set(r[labels == 0].tolist()) == {1, 2}  # both wrong classes drawn
