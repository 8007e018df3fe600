"""precision="auto": the fast CPU path (bf16 + channels-last) only where it is fast."""

from __future__ import annotations

import pytest
import torch

from dlbox.config import DataConfig, FabricConfig
from dlbox.data import expected_side
from dlbox.engine.fabric_setup import FAST_PATH_MIN_SIDE, fast_path

NATIVE_BF16 = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


@pytest.mark.parametrize("data, side", [(DataConfig(name="digits"), 8), (DataConfig(name="shapes"), 64),
                                        (DataConfig(name="shapes", image_size=24), 24), (DataConfig(name="folder:x"), None)])
def test_expected_side_is_known_before_loading(data, side):
    assert expected_side(data) == side


@pytest.mark.parametrize("side", [8, 31, 32, 64, None])
def test_auto_precision_on_cpu(side):
    cfg = fast_path(FabricConfig(accelerator="cpu", precision="auto"), side)
    fast = NATIVE_BF16 and (side is None or side >= FAST_PATH_MIN_SIDE)
    assert (cfg.precision, cfg.channels_last) == (("bf16-mixed", True) if fast else ("32-true", False))


def test_an_explicit_precision_is_kept():
    cfg = FabricConfig(accelerator="cpu", precision="32-true", channels_last=False)
    assert fast_path(cfg, 64) == cfg
