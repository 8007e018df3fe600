import math

import pytest
import torch
import torch.nn as nn
from torch.distributions import AffineTransform, Normal, SigmoidTransform, TransformedDistribution

from dlbox.generative.dequantize import uniform_dequantize
from dlbox.generative.flow_loss import flow_negative_log_likelihood, flow_nll, inverse_logit_transform, logit_transform


def test_logit_transform_log_det_matches_the_autograd_jacobian():
    y = torch.rand(1, 1, 2, 3, dtype=torch.float64)
    s, log_det = logit_transform(y, 0.05)
    jac = torch.autograd.functional.jacobian(lambda v: logit_transform(v, 0.05)[0], y).reshape(6, 6)
    assert float(log_det) == pytest.approx(float(torch.linalg.slogdet(jac).logabsdet), rel=1e-10)
    assert torch.allclose(inverse_logit_transform(s, 0.05), y, atol=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        logit_transform(y, 0.5)


class ScaleShift(nn.Module):
    """z = a x + c elementwise, log|det| = D log a: the simplest invertible flow."""

    def __init__(self, a: float, c: float):
        super().__init__()
        self.a, self.c = a, c

    def forward(self, x):
        return self.a * x + self.c, torch.full((x.shape[0],), x[0].numel() * math.log(self.a), dtype=x.dtype)

    def inverse(self, z):
        return (z - self.c) / self.a


def test_full_chain_equals_torch_transformed_distribution():
    # The model of y: z ~ N(0, I); s = (z - c) / a; y = (sigmoid(s) - alpha) / (1 - 2 alpha).
    # torch.distributions does its own change of variables for that chain.
    alpha, a, c, levels = 0.05, 1.7, 0.3, 17
    x = torch.randint(0, levels, (4, 1, 3, 3)).double() / (levels - 1)
    got = flow_negative_log_likelihood(ScaleShift(a, c), x, levels, alpha, torch.Generator().manual_seed(7))
    y = uniform_dequantize(x, levels, torch.Generator().manual_seed(7))  # the same dequantization draw
    base = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    model = TransformedDistribution(
        base, [AffineTransform(-c / a, 1 / a), SigmoidTransform(), AffineTransform(-alpha / (1 - 2 * alpha), 1 / (1 - 2 * alpha))]
    )
    log_p_y = model.log_prob(y).flatten(1).sum(1)  # (4,): independent pixels
    expected_nats = -log_p_y + 9 * math.log(levels)
    assert torch.allclose(got.nats, expected_nats, rtol=1e-9)
    assert torch.allclose(got.bits_per_dim, expected_nats / (9 * math.log(2)))
    assert float(got.loss) == pytest.approx(float(got.bits_per_dim.mean()))


def test_flow_nll_is_minus_gaussian_log_prob_minus_log_det():
    z, log_det = torch.randn(3, 2, 2, 2, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    ref = -Normal(0.0, 1.0).log_prob(z).flatten(1).sum(1) - log_det
    assert torch.allclose(flow_nll(z, log_det), ref)
