"""save_model / load_model and load_state_file: tensors only, nothing unpickled."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from dlbox.model_io import load_model, load_state_file, save_model
from dlbox.models import create_model


class _Payload:
    """An arbitrary object whose unpickling would run code (creates a directory)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("cnn", dict(in_channels=1, image_size=8, num_classes=4, channels=[4, 8])),
        ("resnet", dict(in_channels=3, image_size=16, num_classes=3, widths=[4, 8], layers=[1, 1])),
    ],
)
def test_save_load_round_trip_equal_outputs(tmp_path, name, kwargs):
    torch.manual_seed(0)
    model = create_model(name, **kwargs)
    x = torch.rand(4, kwargs["in_channels"], kwargs["image_size"], kwargs["image_size"])
    model.train()
    model(x * 3)  # move BN running stats off their defaults so buffers matter
    model.eval()
    with torch.no_grad():
        expected = model(x)
    save_model(tmp_path, model, {"class_names": ["a", "b", "c", "d"][: kwargs["num_classes"]]})
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "model.json").is_file()
    loaded = load_model(tmp_path)
    assert not loaded.training
    assert loaded.dlbox_meta["class_names"] == ["a", "b", "c", "d"][: kwargs["num_classes"]]
    assert loaded.dlbox_config == model.dlbox_config
    with torch.no_grad():
        assert torch.allclose(loaded(x), expected, atol=1e-6)
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_save_requires_registry_model(tmp_path):
    with pytest.raises(ValueError, match="create_model"):
        save_model(tmp_path, torch.nn.Linear(2, 2), {})


def test_load_model_missing_run_dir(tmp_path):
    with pytest.raises(ValueError):
        load_model(tmp_path / "nope")


def _state():
    torch.manual_seed(1)
    return {"w": torch.randn(3, 4), "b": torch.arange(5), "n": torch.tensor(7)}


def _assert_same(a, b):
    assert set(a) == set(b)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_load_state_file_safetensors(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file(_state(), str(path))
    _assert_same(load_state_file(path), _state())


@pytest.mark.parametrize("wrap", [False, True])
def test_load_state_file_torch_weights_only(tmp_path, wrap):
    path = tmp_path / "w.pth"
    torch.save({"state_dict": _state(), "epoch": 3} if wrap else _state(), path)
    _assert_same(load_state_file(path), _state())


def test_load_state_file_refuses_arbitrary_pickled_object(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(1), "payload": _Payload(marker)}, path)
    with pytest.raises(ValueError, match=r"evil.pth is not a state dict dlbox can load safely"):
        load_state_file(path)
    assert not marker.exists()  # the payload never ran
    # a plain pickle (not a torch zip) with the same payload is refused as well
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=2))
    with pytest.raises(ValueError, match="raw.pt"):
        load_state_file(raw)
    assert not marker.exists()


@pytest.mark.parametrize("name, data", [("fake.safetensors", b"not safetensors at all"), ("garbage.pth", b"\x00garbage"), ("empty.pt", b"")])
def test_load_state_file_names_a_fake_or_garbage_file(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ValueError, match=name):
        load_state_file(tmp_path / name)


def test_cli_weights_given_a_pickle_is_one_clear_error(tmp_path):
    from typer.testing import CliRunner

    from dlbox.cli.main import app

    marker = tmp_path / "pwned"
    torch.save({"w": torch.zeros(1), "payload": _Payload(marker)}, tmp_path / "evil.pth")
    result = CliRunner().invoke(app, ["classify", "train", "--init", "torchvision:resnet18", "--weights", str(tmp_path / "evil.pth"),
                                      "--epochs", "1", "--no-progress", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "error:" in result.output and "evil.pth" in result.output, result.output
    assert not marker.exists() and not (tmp_path / "run").exists()


def test_load_state_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        load_state_file(tmp_path / "nope.pth")
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ValueError, match="state dict"):
        load_state_file(path)


def test_load_model_rejects_tampered_weights(tmp_path):
    model = create_model("mlp", depth=1, width=4)
    save_model(tmp_path, model, {})
    save_file({"bogus": torch.zeros(1)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(RuntimeError):
        load_model(tmp_path)
