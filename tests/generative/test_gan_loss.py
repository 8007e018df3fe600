import math

import pytest
import torch
import torch.nn.functional as F

from dlbox.generative.gan_loss import (
    discriminator_loss,
    discriminator_loss_hinge,
    generator_loss_hinge,
    generator_loss_nonsaturating,
    generator_loss_saturating,
)

REAL, FAKE = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 3.0])


def sigmoid(a):
    return 1 / (1 + math.exp(-a))


def test_discriminator_loss_by_hand():
    # -mean log sigma(real) - mean log(1 - sigma(fake))
    by_hand = -(math.log(sigmoid(0)) + math.log(sigmoid(2))) / 2 - (math.log(1 - sigmoid(-1)) + math.log(1 - sigmoid(3))) / 2
    assert float(discriminator_loss(REAL, FAKE)) == pytest.approx(by_hand, rel=1e-6)
    bce = F.binary_cross_entropy_with_logits(REAL, torch.ones(2)) + F.binary_cross_entropy_with_logits(FAKE, torch.zeros(2))
    assert float(discriminator_loss(REAL, FAKE)) == pytest.approx(float(bce), rel=1e-6)


def test_one_sided_label_smoothing_by_hand():
    # real targets 0.9 (binary cross-entropy), fake targets still 0
    smoothed = discriminator_loss(REAL, FAKE, real_label=0.9)
    bce = F.binary_cross_entropy_with_logits(REAL, torch.full((2,), 0.9)) + F.binary_cross_entropy_with_logits(FAKE, torch.zeros(2))
    assert float(smoothed) == pytest.approx(float(bce), rel=1e-6)
    assert float(discriminator_loss(REAL, FAKE, real_label=1.0)) == pytest.approx(float(discriminator_loss(REAL, FAKE)), rel=1e-7)
    # the smoothed loss of a real logit is smallest at logit(0.9), not at +infinity: an overconfident D pays
    a = torch.linspace(0.0, 6.0, 601)
    per_logit = 0.9 * F.softplus(-a) + 0.1 * F.softplus(a)
    assert float(a[per_logit.argmin()]) == pytest.approx(math.log(9), abs=0.01)


def test_generator_losses_by_hand():
    assert float(generator_loss_nonsaturating(FAKE)) == pytest.approx(-(math.log(sigmoid(-1)) + math.log(sigmoid(3))) / 2, rel=1e-6)
    assert float(generator_loss_saturating(FAKE)) == pytest.approx((math.log(1 - sigmoid(-1)) + math.log(1 - sigmoid(3))) / 2, rel=1e-6)


def test_hinge_losses_by_hand():
    # real: max(0, 1 - 0) = 1, max(0, 1 - 2) = 0 -> 0.5; fake: max(0, 1 - 1) = 0, max(0, 1 + 3) = 4 -> 2
    assert float(discriminator_loss_hinge(REAL, FAKE)) == pytest.approx(2.5)
    assert float(generator_loss_hinge(FAKE)) == pytest.approx(-1.0)


def test_non_saturating_loss_keeps_its_gradient_when_the_discriminator_wins():
    # Goodfellow section 3: early on D rejects fakes confidently (logit -10); log(1 - D) saturates there.
    logits = torch.tensor([-10.0], requires_grad=True)
    generator_loss_saturating(logits).backward()
    saturating = float(logits.grad)
    logits.grad = None
    generator_loss_nonsaturating(logits).backward()
    assert abs(saturating) < 1e-4 and float(logits.grad) == pytest.approx(-1.0, abs=1e-4)
    # both push the fake logit up (towards "real")
    assert saturating < 0


def test_optimal_discriminator_for_known_densities():
    # For fixed p_data and p_g, D*(x) = p_data / (p_data + p_g) (Goodfellow prop. 1): minimise the
    # discriminator loss over per-point logits on a 3-point space and compare.
    p_data, p_g = torch.tensor([0.5, 0.3, 0.2]), torch.tensor([0.2, 0.2, 0.6])
    logits = torch.zeros(3, requires_grad=True)
    opt = torch.optim.LBFGS([logits], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        # expectations as weighted sums: mean over a population with these frequencies
        loss = (p_data * F.softplus(-logits)).sum() + (p_g * F.softplus(logits)).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert torch.allclose(torch.sigmoid(logits), p_data / (p_data + p_g), atol=1e-4)
