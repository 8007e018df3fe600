"""Transfer learning and fine-tuning (notes 3.6): --init RUN_DIR / torchvision:NAME, --freeze, --backbone-lr-mult."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from dlbox.models.torchvision_adapter import WeightsUnavailableError
from dlbox.tasks.classify.train import train


def _features(state):
    return {k: v for k, v in state.items() if k.startswith("features.")}


@pytest.fixture(scope="module")
def source_run(tmp_path_factory, tiny_cfg):
    return train(tiny_cfg(tmp_path_factory.mktemp("src") / "run", epochs=1))


def test_freeze_keeps_backbone_and_trains_new_head(tiny_cfg, source_run, tmp_path):
    cfg = tiny_cfg(tmp_path / "frozen", epochs=1)
    cfg.init, cfg.classify.freeze = str(source_run), "features"
    run = train(cfg)
    src, dst = load_file(str(source_run / "model.safetensors")), load_file(str(run / "model.safetensors"))
    for key, value in _features(src).items():
        assert torch.equal(value, dst[key]), key  # weights and batch-norm statistics untouched
    assert not torch.equal(src["head.fc.weight"], dst["head.fc.weight"])


def test_fine_tuning_moves_backbone(tiny_cfg, source_run, tmp_path):
    cfg = tiny_cfg(tmp_path / "ft", epochs=1)
    cfg.init, cfg.optim.backbone_lr_mult = str(source_run), 0.1
    run = train(cfg)
    src, dst = load_file(str(source_run / "model.safetensors")), load_file(str(run / "model.safetensors"))
    key = "features.stage1.conv1.conv.weight"
    assert not torch.equal(src[key], dst[key])
    assert (src[key] - dst[key]).abs().max() < 0.1  # a small step from the transferred weights, not a re-init


def test_init_with_wrong_channel_count_is_clear(tiny_cfg, source_run, tmp_path):
    cfg = tiny_cfg(tmp_path / "rgb", epochs=1)
    cfg.data.name, cfg.data.num_samples = "shapes", 60
    cfg.init = str(source_run)
    with pytest.raises(ValueError, match="1-channel images but this dataset has 3"):
        train(cfg)
    assert not (tmp_path / "rgb").exists()


def test_torchvision_offline_error_names_file_and_option(tiny_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    cfg = tiny_cfg(tmp_path / "tv", epochs=1)
    cfg.init = "torchvision:resnet18"
    with pytest.raises(WeightsUnavailableError, match=r"resnet18-[0-9a-f]+\.pth is missing.*--weights FILE"):
        train(cfg)
    assert not (tmp_path / "tv").exists()


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_torchvision_backbone_from_local_file(tiny_cfg, tmp_path, suffix):
    import torchvision

    reference = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / f"resnet18{suffix}"
    if suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in reference.items()}, str(path))
    else:
        torch.save(reference, path)
    cfg = tiny_cfg(tmp_path / "tv", epochs=1, max_steps=2)
    cfg.data.name, cfg.data.num_samples, cfg.data.image_size = "shapes", 60, 32
    cfg.init, cfg.classify.weights, cfg.classify.freeze = "torchvision:resnet18", str(path), "features"
    run = train(cfg)
    saved = load_file(str(run / "model.safetensors"))
    assert torch.equal(saved["features.conv1.weight"], reference["conv1.weight"])
    assert torch.equal(saved["features.layer4.1.bn2.running_var"], reference["layer4.1.bn2.running_var"])
    assert saved["head.fc.weight"].shape == (3, 512)


def test_a_download_goes_to_the_cache_and_loads_tensors_only(tmp_path, monkeypatch):
    """With network, the weights are downloaded to torch hub's cache and read with weights_only=True: a tampered
    download is refused naming the cached file, and its payload never runs."""
    import os

    import torchvision

    from dlbox.models.torchvision_adapter import pretrained_state

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    reference = torchvision.models.resnet18(weights=None).state_dict()
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda url, dst, progress=True: torch.save(reference, dst))
    state = pretrained_state("resnet18")
    assert state.keys() == reference.keys() and all(torch.equal(state[k], reference[k]) for k in state)
    cached = next((tmp_path / "hub").rglob("resnet18-*.pth"))

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    cached.unlink()
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda url, dst, progress=True: torch.save({"w": Payload()}, dst))
    with pytest.raises(ValueError, match=r"resnet18-[0-9a-f]+\.pth is not a state dict dlbox can load safely"):
        pretrained_state("resnet18")
    assert not (tmp_path / "pwned").exists()
