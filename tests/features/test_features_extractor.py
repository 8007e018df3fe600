"""Feature extractor: layers hooked by stable name on run dirs, dlbox models and torchvision classifiers."""

import pytest
import torch
import torch.nn as nn

from dlbox.features import FeatureExtractor, UnknownLayerError, list_layers, load_network
from dlbox.model_io import save_model
from dlbox.models import create_model


def tiny_run(tmp_path, channels=1, size=8):
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=channels, num_classes=3, image_size=size, channels=[4, 8], convs_per_stage=1)
    run = tmp_path / "run"
    run.mkdir()
    save_model(run, model, {"task": "classify", "class_names": ["a", "b", "c"], "input": {"channels": channels, "size": [size, size]}})
    return run


def test_run_directory_network_and_layer_outputs(tmp_path):
    net = load_network(tiny_run(tmp_path))
    assert net.kind == "run" and net.in_channels == 1 and net.image_size == (8, 8) and net.class_names == ["a", "b", "c"]
    assert not any(p.requires_grad for p in net.model.parameters()) and not net.model.training
    ext = net.extractor(["features.stage1.conv1", "features.stage2", "logits"])
    x = torch.rand(2, 1, 8, 8, requires_grad=True)
    out = ext(x)
    assert out["features.stage1.conv1"].shape == (2, 4, 8, 8)
    assert out["features.stage2"].shape == (2, 8, 2, 2)
    torch.testing.assert_close(out["logits"], net.model(x))  # alias of head.fc: the class scores
    out["features.stage2"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_unknown_layer_lists_the_valid_names(tmp_path):
    net = load_network(tiny_run(tmp_path))
    with pytest.raises(UnknownLayerError) as info:
        net.extractor(["features.stage1.conv9"])
    msg = str(info.value)
    assert "did you mean features.stage1.conv1" in msg
    for name in ("features.stage1.conv1.conv", "features.stage2.pool", "head.fc", "logits"):
        assert name in msg


def test_forward_stops_after_the_last_requested_layer(tmp_path):
    net = load_network(tiny_run(tmp_path))
    calls = []
    net.model.head.register_forward_hook(lambda *a: calls.append(1))
    ext = net.extractor(["features.stage1"])
    ext(torch.rand(1, 1, 8, 8))  # first pass runs everything (learns how often each layer is called)
    n = len(calls)
    ext(torch.rand(1, 1, 8, 8))
    assert len(calls) == n  # the head did not run again
    assert ext.min_input_side(1) <= 2  # only stage 1 has to fit


def test_a_shared_module_reports_its_last_call():
    net = load_network("torchvision:resnet18", weights="random")
    assert net.class_names is not None and len(net.class_names) == 1000  # ImageNet names come with torchvision
    ext = net.extractor(["features.layer1.0.relu", "features.layer1.0"])
    out = ext(torch.rand(1, 3, 32, 32))
    torch.testing.assert_close(out["features.layer1.0.relu"], out["features.layer1.0"])  # relu's last call is the block output
    assert ext._calls["features.layer1.0.relu"] == 2


def test_vgg_aliases_and_inplace_relus_do_not_corrupt_hooked_outputs():
    net = load_network("vgg11", weights="random")
    assert net.spec == "torchvision:vgg11" and net.weights == "random"
    assert net.aliases["conv1_1"] == "features.features.0" and net.aliases["relu1_1"] == "features.features.1"
    assert net.aliases["pool1"] == "features.features.2" and net.aliases["conv2_1"] == "features.features.3"
    out = net.extractor(["conv1_1", "relu1_1"])(torch.rand(1, 3, 32, 32))
    assert (out["conv1_1"] < 0).any()  # pre-activation survives: the in-place ReLU was disabled
    torch.testing.assert_close(out["relu1_1"], out["conv1_1"].clamp_min(0))


def test_missing_imagenet_weights_name_the_file_and_the_alternatives(monkeypatch, tmp_path):
    import torchvision.models._api as api

    def offline(self, *a, **k):
        raise OSError("no network")

    monkeypatch.setattr(api.WeightsEnum, "get_state_dict", offline)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(RuntimeError) as info:
        load_network("torchvision:mobilenet_v3_small")
    msg = str(info.value)
    assert str(tmp_path / "hub" / "checkpoints") in msg and "--weights FILE" in msg and "--weights random" in msg


def test_weights_file_loads_torchvision_parameter_names(tmp_path):
    import torchvision

    torch.manual_seed(1)
    ref = torchvision.models.mobilenet_v3_small()
    torch.save(ref.state_dict(), tmp_path / "w.pth")
    net = load_network("torchvision:mobilenet_v3_small", weights=str(tmp_path / "w.pth"))
    torch.testing.assert_close(net.model.features.features[0][0].weight, ref.features[0][0].weight)
    torch.testing.assert_close(net.model.head.classifier[3].weight, ref.classifier[3].weight)
    torch.save({"nope": torch.zeros(3)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="is the file for that model"):
        load_network("torchvision:mobilenet_v3_small", weights=str(tmp_path / "bad.pth"))


def test_registered_dlbox_model_and_unknown_model():
    net = load_network("cnn", model_args={"channels": [4, 8], "image_size": 16})
    assert net.kind == "dlbox" and net.weights == "random" and net.image_size == (16, 16)
    with pytest.raises(ValueError, match="dlbox models .*cnn.*torchvision:NAME"):
        load_network("not_a_model")
    with pytest.raises(ValueError, match="no run directory"):
        load_network("./missing/run")


def test_list_layers_reports_output_shapes(tmp_path):
    net = load_network(tiny_run(tmp_path, channels=3, size=16))
    rows = {r["name"]: r for r in list_layers(net.model, 3, (16, 16), net.aliases)}
    assert rows["features.stage1.conv1.conv"]["shape"] == [4, 16, 16]
    assert rows["features.stage2.pool"]["shape"] == [8, 4, 4]
    assert rows["head.fc"]["alias"] == "logits" and rows["head.fc"]["shape"] == [3]
    assert rows["features.stage1.conv1.conv"]["params"] == 4 * 3 * 9  # conv without bias (batch norm follows)


def test_extractor_needs_layers():
    with pytest.raises(ValueError):
        FeatureExtractor(nn.Linear(2, 2), [])
