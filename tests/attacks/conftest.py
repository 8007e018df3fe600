"""Shared fixtures: a small MLP trained on digits in about a second, and a hand-set linear model."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F


@pytest.fixture(scope="session")
def digits():
    from dlbox.config import DataConfig
    from dlbox.data import load_dataset

    return load_dataset(DataConfig())


@pytest.fixture(scope="session")
def digits_mlp(digits):
    """An MLP at ~95% test accuracy on the 8x8 digits (full-batch Adam, 150 steps)."""
    from dlbox.models import create_model

    torch.manual_seed(0)
    model = create_model("mlp", depth=1, width=64, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = digits.train["image"], digits.train["label"]
    for _ in range(150):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    for p in model.parameters():
        p.grad = None
    return model


@pytest.fixture(scope="session")
def attack_batch(digits, digits_mlp):
    """64 test images the MLP classifies correctly, their labels and random wrong targets."""
    from dlbox.attacks import random_targets

    x, y = digits.test["image"], digits.test["label"]
    with torch.no_grad():
        ok = digits_mlp(x).argmax(1) == y
    x, y = x[ok][:64], y[ok][:64]
    return x, y, random_targets(y, 10, torch.Generator().manual_seed(0))


class Linear(nn.Module):
    """logits = W x + b, hand-set: class k responds to pixel block k (an easy, exactly known model)."""

    def __init__(self, classes: int = 4, pixels: int = 16):
        super().__init__()
        self.fc = nn.Linear(pixels, classes)
        with torch.no_grad():
            w = torch.zeros(classes, pixels)
            per = pixels // classes
            for k in range(classes):
                w[k, k * per : (k + 1) * per] = 4.0
            self.fc.weight.copy_(w)
            self.fc.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


@pytest.fixture
def linear():
    return Linear().eval()
