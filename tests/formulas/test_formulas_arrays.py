"""Formulas take NumPy arrays or torch tensors and answer in the caller's kind (issue 12: conv_matrix(conv.weight))."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.formulas import (
    RunningStats,
    batch_norm_inference,
    batch_norm_train,
    conv_matrix,
    conv_matrix_pattern,
    kernel_gradient,
    matrix_gradient,
    max_pool2d,
    mean_pool2d,
    normalize,
    pool_windows,
)

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", DEVICES)
def test_conv_matrix_takes_a_conv2d_weight_that_requires_grad(device):
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False).double().to(device)
    assert conv.weight.requires_grad
    matrix = conv_matrix(conv.weight, (7, 6), stride=2, padding=1)
    assert isinstance(matrix, torch.Tensor) and matrix.device.type == device
    assert matrix.dtype == torch.float64 and not matrix.requires_grad
    x = torch.randn(2, 7, 6, dtype=torch.float64, device=device)
    with torch.no_grad():
        expected = conv(x[None])[0]
    torch.testing.assert_close(matrix @ x.flatten(), expected.flatten(), rtol=1e-12, atol=1e-12)


def test_conv_matrix_with_numpy_stays_numpy_and_equals_the_torch_answer():
    conv = nn.Conv2d(4, 2, (3, 2), dilation=2, groups=2)
    ours_np = conv_matrix(conv.weight.detach().numpy(), (8, 8), dilation=2, groups=2)
    ours_torch = conv_matrix(conv.weight, (8, 8), dilation=2, groups=2)
    assert isinstance(ours_np, np.ndarray) and ours_np.dtype == np.float32
    assert isinstance(ours_torch, torch.Tensor) and ours_torch.dtype == torch.float32
    np.testing.assert_array_equal(ours_torch.numpy(), ours_np)


def test_half_precision_weight_comes_back_in_its_dtype():
    weight = nn.Conv2d(1, 2, 3).weight.to(torch.bfloat16)
    matrix = conv_matrix(weight, (4, 4))
    assert matrix.dtype == torch.bfloat16
    np.testing.assert_array_equal(matrix.float().numpy(), conv_matrix(weight.float().detach().numpy(), (4, 4)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), stride=st.integers(1, 2), size=st.integers(3, 7))
def test_pooling_with_tensors_equals_pytorch(seed, k, stride, size):
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(2, 3, size, size))).requires_grad_(True)
    padding = k // 2
    ours_max, ours_mean = max_pool2d(x, k, stride, padding), mean_pool2d(x, k, stride, padding)
    assert isinstance(ours_max, torch.Tensor) and isinstance(ours_mean, torch.Tensor)
    torch.testing.assert_close(ours_max, F.max_pool2d(x, k, stride, padding).detach(), rtol=0, atol=0)
    torch.testing.assert_close(ours_mean, F.avg_pool2d(x, k, stride, padding).detach(), rtol=1e-12, atol=1e-14)
    windows = pool_windows(x, k, stride, padding)
    assert isinstance(windows, torch.Tensor) and windows.shape[-2:] == (k, k)


def test_batch_norm_with_tensors_equals_pytorch_and_returns_tensor_statistics():
    torch.manual_seed(0)
    module = nn.BatchNorm2d(3, momentum=0.2).double()
    with torch.no_grad():
        module.weight.uniform_(0.5, 2.0)
        module.bias.uniform_(-1.0, 1.0)
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64) * 2 + 1
    running = RunningStats(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    ours, running = batch_norm_train(x, module.weight, module.bias, running, momentum=0.2)
    expected = module.train()(x)
    assert isinstance(ours, torch.Tensor) and isinstance(running.mean, torch.Tensor)
    torch.testing.assert_close(ours, expected.detach())
    torch.testing.assert_close(running.mean, module.running_mean)
    torch.testing.assert_close(running.var, module.running_var)
    inference = batch_norm_inference(x, module.weight, module.bias, running)
    torch.testing.assert_close(inference, module.eval()(x).detach())
    assert isinstance(normalize(x, running.mean, running.var, module.weight, module.bias), torch.Tensor)


def test_kernel_gradient_from_tensors_equals_autograd():
    torch.manual_seed(1)
    conv = nn.Conv2d(2, 2, 3, padding=1, bias=False).double()
    x = torch.randn(2, 5, 5, dtype=torch.float64)
    out = conv(x[None])[0]
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    pattern = conv_matrix_pattern(conv.weight.shape, x.shape[1:], padding=1)
    ours = kernel_gradient(matrix_gradient(upstream, x), pattern, tuple(conv.weight.shape))
    assert isinstance(ours, torch.Tensor)
    torch.testing.assert_close(ours, conv.weight.grad, rtol=1e-10, atol=1e-12)


def test_numpy_callers_never_import_torch():
    code = (
        "import sys, numpy as np\n"
        "from dlbox.formulas import conv_matrix, max_pool2d\n"
        "m = conv_matrix(np.ones((1, 1, 2, 2)), (3, 3)); p = max_pool2d(np.ones((1, 4, 4)), 2)\n"
        "assert isinstance(m, np.ndarray) and isinstance(p, np.ndarray)\n"
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
