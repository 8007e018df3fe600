"""Shared plumbing of the non-training commands: accelerator names, --out checks, PNGs."""

import numpy as np
import pytest
import torch
from PIL import Image

from dlbox.optimize_input.loop import OptimizeConfig
from dlbox.tasks.input_run import InputRunConfig, check_out, open_network, resolve_accelerator, save_png


def test_accelerator_names():
    assert resolve_accelerator("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_accelerator("auto").type == expected
    with pytest.raises(ValueError, match="'tpu' is not valid; use one of cpu, cuda, mps, auto"):
        resolve_accelerator("tpu")
    with pytest.raises(ValueError, match="not valid"):
        resolve_accelerator("cuda:0")  # a device, not an accelerator


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="--accelerator cuda was asked for but this machine has no CUDA"):
        resolve_accelerator("cuda")


def test_check_out(tmp_path):
    check_out(None)
    check_out(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_out(tmp_path / "empty")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="already exists and is not empty"):
        check_out(tmp_path / "full")


def test_open_network_checks_out_and_loop_settings(tmp_path):
    net = open_network(InputRunConfig(model="mlp", accelerator="cpu", out=str(tmp_path / "new")), OptimizeConfig())
    assert net.spec == "mlp" and net.kind == "dlbox" and not any(p.requires_grad for p in net.model.parameters())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="already exists and is not empty"):
        open_network(InputRunConfig(model="mlp", out=str(tmp_path / "full")), OptimizeConfig())
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        open_network(InputRunConfig(model="mlp"), OptimizeConfig(optimizer="rmsprop"))
    with pytest.raises(ValueError, match="unknown model"):
        open_network(InputRunConfig(model="no-such-model"), OptimizeConfig())


def test_save_png_round_trips_8_bit_values(tmp_path):
    g = torch.Generator().manual_seed(0)
    rgb = torch.randint(0, 256, (3, 5, 7), generator=g).float() / 255
    grey = torch.randint(0, 256, (1, 4, 6), generator=g).float() / 255
    with Image.open(save_png(rgb, tmp_path / "c.png")) as im:
        assert im.mode == "RGB" and np.array_equal(np.asarray(im), (rgb.permute(1, 2, 0) * 255).round().byte().numpy())
    with Image.open(save_png(grey, tmp_path / "g.png")) as im:
        assert im.mode == "L" and np.array_equal(np.asarray(im), (grey[0] * 255).round().byte().numpy())
