"""The weight average: the warm-up formula, and an AveragedModel that follows it (and torch's own without it)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dlbox.engine.ema import ema_decay, ema_model


def test_warmup_decay_is_tf_formula_then_the_configured_decay():
    assert ema_decay(0, 0.995, warmup=True) == pytest.approx(1 / 10)
    assert ema_decay(1, 0.995, warmup=True) == pytest.approx(2 / 11)
    assert ema_decay(90, 0.995, warmup=True) == pytest.approx(91 / 100)
    assert ema_decay(10_000, 0.995, warmup=True) == 0.995  # (1 + n) / (10 + n) > 0.995 once n > 1790
    assert ema_decay(0, 0.995, warmup=False) == 0.995
    with pytest.raises(ValueError, match=r"train.ema_decay must lie in \[0, 1\]"):
        ema_decay(0, 1.5, warmup=True)


def _track(warmup: bool, weights: list[float], decay: float = 0.9) -> float:
    net = nn.Linear(1, 1, bias=False)
    ema = ema_model(net, decay, warmup)
    for w in weights:
        with torch.no_grad():
            net.weight.fill_(w)
        ema.update_parameters(net)
    return float(ema.module.weight.detach())


def test_averaged_model_applies_the_warmup_decay_per_update():
    weights = [0.0, 1.0, 1.0, 5.0]
    expected = weights[0]  # the first update copies
    for n, w in enumerate(weights[1:], start=1):
        d = min(0.9, (1 + n) / (10 + n))
        expected = d * expected + (1 - d) * w
    assert _track(True, weights) == pytest.approx(expected)
    plain = weights[0]
    for w in weights[1:]:
        plain = 0.9 * plain + 0.1 * w
    assert _track(False, weights) == pytest.approx(plain)
    assert _track(True, weights) != pytest.approx(plain)  # the warm-up forgets the first weights faster


def test_integer_buffers_are_averaged_without_error():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = ema_model(net, 0.99, warmup=True)
    for _ in range(3):
        net(torch.randn(4, 2))
        ema.update_parameters(net)
    assert int(ema.module[1].num_batches_tracked) >= 0 and int(ema.n_averaged) == 3
