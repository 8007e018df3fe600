"""notes 3.3 pooling filters and notes 3.8 batch normalization against PyTorch."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.formulas import RunningStats, batch_norm_inference, batch_norm_train, max_pool2d, mean_pool2d


@st.composite
def pool_configs(draw):
    k = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, k // 2))
    h, w = draw(st.integers(k, 10)), draw(st.integers(k, 10))
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).normal(size=(2, 3, h, w))
    return x, k, stride, padding


@settings(max_examples=60, deadline=None)
@given(cfg=pool_configs())
def test_max_pool_equals_pytorch(cfg):
    x, k, s, p = cfg
    expected = F.max_pool2d(torch.from_numpy(x), k, s, p).numpy()
    np.testing.assert_array_equal(max_pool2d(x, k, s, p), expected)


@settings(max_examples=60, deadline=None)
@given(cfg=pool_configs())
def test_mean_pool_equals_pytorch(cfg):
    x, k, s, p = cfg
    expected = F.avg_pool2d(torch.from_numpy(x), k, s, p).numpy()
    np.testing.assert_allclose(mean_pool2d(x, k, s, p), expected, rtol=1e-12, atol=1e-14)


def test_default_stride_is_the_kernel():
    x = np.random.default_rng(0).normal(size=(1, 1, 6, 6))
    np.testing.assert_array_equal(max_pool2d(x, 2), F.max_pool2d(torch.from_numpy(x), 2).numpy())


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), n=st.integers(2, 5), c=st.integers(1, 4),
    spatial=st.sampled_from([(), (3, 4)]), momentum=st.floats(0.01, 0.9), steps=st.integers(1, 4),
)
def test_batch_norm_training_then_inference_equals_pytorch(seed, n, c, spatial, momentum, steps):
    rng = np.random.default_rng(seed)
    module = (nn.BatchNorm2d if spatial else nn.BatchNorm1d)(c, momentum=momentum).double()
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    running = RunningStats(mean=np.zeros(c), var=np.ones(c))
    module.train()
    for _ in range(steps):
        x = rng.normal(2.0, 3.0, size=(n, c, *spatial))
        ours, running = batch_norm_train(x, gamma, beta, running, momentum=momentum)
        np.testing.assert_allclose(ours, module(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(running.mean, module.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(running.var, module.running_var.numpy(), rtol=1e-12)
    module.eval()
    x = rng.normal(size=(n, c, *spatial))
    expected = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(batch_norm_inference(x, gamma, beta, running), expected, rtol=1e-10, atol=1e-12)
