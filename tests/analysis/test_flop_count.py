"""dlbox.analysis.flop_count: the same FLOPs as torch's FlopCounterMode, per module and in total, without torch._dynamo."""

import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from dlbox.analysis.flop_count import count_flops
from dlbox.models import create_model


class Functional(nn.Module):
    """Leaf layers plus a functional matmul in the parent's forward and a shared layer called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)
        self.norm = nn.LayerNorm(6)
        self.attention = nn.MultiheadAttention(6, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.proj(x))
        x = x @ x.transpose(-1, -2) @ x
        return self.proj(self.attention(x, x, x, need_weights=False)[0])


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not any(m.children()) or isinstance(m, nn.MultiheadAttention)]


def _reference(model: nn.Module, example: torch.Tensor) -> FlopCounterMode:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(example)
    return counter


@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (lambda: create_model("cnn", in_channels=1, num_classes=10, image_size=8), (1, 1, 8, 8)),
        (lambda: create_model("resnet", in_channels=3, num_classes=5, image_size=16), (1, 3, 16, 16)),
        (lambda: create_model("xception", in_channels=3, num_classes=4, image_size=16), (1, 3, 16, 16)),
        (lambda: nn.Sequential(nn.ConvTranspose2d(3, 2, 2, stride=2), nn.BatchNorm2d(2), nn.AdaptiveAvgPool2d(1),
                               nn.Flatten(), nn.Linear(2, 3)), (1, 3, 4, 4)),
    ],
)
def test_totals_and_per_module_counts_equal_flop_counter_mode(build, shape):
    torch.manual_seed(0)
    model = build().eval()
    example = torch.randn(*shape)
    ours = count_flops(model, example, _leaves(model))
    reference = _reference(model, example)
    assert ours.total == reference.get_total_flops() > 0
    names = {module: name for name, module in model.named_modules()}
    per_name = {k: sum(v.values()) for k, v in reference.get_flop_counts().items()}
    root = type(model).__name__
    for module in _leaves(model):
        key = f"{root}.{names[module]}" if names[module] else root
        assert ours.per_module.get(module, 0) == per_name.get(key, 0), names[module]


def test_functional_code_and_shared_modules():
    model = Functional().eval()
    example = torch.randn(2, 4, 6)
    ours = count_flops(model, example, _leaves(model))
    reference = _reference(model, example)
    assert ours.total == reference.get_total_flops()
    # proj is called twice: its count covers both calls; the matmuls in forward belong to no leaf
    assert ours.per_module[model.proj] == 2 * 2 * (2 * 4 * 6 * 6)
    assert ours.total > sum(ours.per_module.values())


def test_hooks_are_removed_and_outputs_untouched():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    example = torch.randn(2, 3)
    count_flops(model, example, list(model))
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model)
    with torch.no_grad():
        torch.testing.assert_close(model(example), torch.relu(example @ model[0].weight.T + model[0].bias))


def test_counting_does_not_import_torch_dynamo():
    code = (
        "import sys, torch\n"
        "from dlbox.analysis.flop_count import count_flops\n"
        "m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2).eval())\n"
        "c = count_flops(m, torch.randn(1, 1, 5, 5), list(m))\n"
        "assert c.total == 2 * 9 * 2 * 9, c.total\n"
        "sys.exit('torch._dynamo' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
