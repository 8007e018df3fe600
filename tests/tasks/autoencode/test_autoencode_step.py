"""The autoencoder step against closed forms, with a stand-in for the run's Fabric."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.engine.training import Run
from dlbox.tasks.autoencode.config import default_config
from dlbox.tasks.autoencode.step import AutoencoderStep


class _Fabric:
    device = torch.device("cpu")

    def backward(self, loss):
        loss.backward()

    def autocast(self):
        return contextlib.nullcontext()

    def clip_gradients(self, module, optimizer, max_norm):
        return nn.utils.clip_grad_norm_(module.parameters(), max_norm)


class Scale(nn.Module):
    """``x -> scale * x``, remembering its last input."""

    def __init__(self, scale: float = 0.5):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale))
        self.seen = None

    def forward(self, x):
        self.seen = x
        return x * self.scale


def _run(model: nn.Module, mode: str = "train", val: list | None = None, ema: nn.Module | None = None, **train) -> Run:
    cfg = default_config(mode)
    for key, value in train.items():
        setattr(cfg.train, key, value)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    return Run(_Fabric(), cfg, None, model, {"model": opt}, {}, ema, [], val or [], 4, Path("."))


def test_denoising_feeds_noisy_inputs_and_targets_the_clean_image():
    model = Scale()
    x = torch.full((4, 1, 2, 2), 0.5)
    step = AutoencoderStep(_run(model, "denoise"))
    loss = step.train_step({"image": x})["loss"]
    assert not torch.equal(model.seen, x)  # the input was corrupted ...
    assert float(loss) == pytest.approx(float(F.mse_loss(model.seen * 0.5, x)))  # ... the target was not
    assert loss.ndim == 0 and not loss.requires_grad


def test_plain_autoencoder_learns_the_identity():
    model = Scale()
    x = torch.full((4, 1, 2, 2), 0.5)
    step = AutoencoderStep(_run(model))
    losses = [float(step.train_step({"image": x})["loss"]) for _ in range(5)]
    assert torch.equal(model.seen, x) and losses[-1] < losses[0]
    # one SGD step on (s x - x)^2 from s = 0.5 at lr 0.5: s -> 0.5 + 0.5 * 2 * (1 - 0.5) * mean(x^2)
    first = Scale()
    AutoencoderStep(_run(first)).train_step({"image": x})
    assert float(first.scale.detach()) == pytest.approx(0.5 + 0.5 * 2 * 0.5 * 0.25)


def test_grad_clip_bounds_the_update():
    model = Scale(0.0)
    x = torch.full((4, 1, 2, 2), 1.0)  # gradient of mean (s - 1)^2 at s = 0 is -2
    AutoencoderStep(_run(model, grad_clip=0.1)).train_step({"image": x})
    assert float(model.scale.detach()) == pytest.approx(0.5 * 0.1)  # lr * clipped norm


def test_validation_uses_the_same_noise_every_epoch_and_the_formula():
    x = torch.full((4, 1, 2, 2), 0.5)
    noisy = AutoencoderStep(_run(Scale(), "denoise", val=[{"image": x}]))
    assert noisy.validate() == noisy.validate()
    plain = AutoencoderStep(_run(Scale(0.8), val=[{"image": x}, {"image": x[:1]}])).validate()
    mse = (0.5 - 0.4) ** 2  # every pixel 0.5 reconstructed as 0.4
    assert plain["val_loss"] == pytest.approx(mse) and plain["val_psnr"] == pytest.approx(10 * math.log10(1 / mse), rel=1e-5)
    assert AutoencoderStep(_run(Scale())).validate() == {}  # no validation split


def test_validation_scores_the_ema_weights():
    from torch.optim.swa_utils import AveragedModel

    model = Scale(0.8)
    ema = AveragedModel(Scale(1.0))  # the average: a perfect reconstruction (infinite PSNR)
    out = AutoencoderStep(_run(model, val=[{"image": torch.full((2, 1, 2, 2), 0.5)}], ema=ema)).validate()
    assert out["val_loss"] == 0.0 and math.isinf(out["val_psnr"])
