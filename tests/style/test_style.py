"""Style transfer: Gram matrices, the losses, Gatys optimisation, the transformation network, perceptual training."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from dlbox.features import load_network
from dlbox.model_io import load_model, save_model
from dlbox.models import create_model
from dlbox.optimize_input import OptimizeConfig
from dlbox.style.gatys import GatysConfig, style_transfer
from dlbox.style.gram import gram_matrix
from dlbox.style.losses import StyleContentLoss, content_loss, default_layers, style_layer_loss


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return load_network("cnn", model_args={"in_channels": 3, "num_classes": 3, "image_size": 16, "channels": [8, 16], "convs_per_stage": 2, "batch_norm": False})


def test_gram_matrix_equals_the_direct_formula():
    f = torch.randn(2, 3, 4, 5)
    g = gram_matrix(f, normalize=False)
    for b in range(2):
        for c1 in range(3):
            for c2 in range(3):
                direct = sum(float(f[b, c1, i, j] * f[b, c2, i, j]) for i in range(4) for j in range(5))
                assert g[b, c1, c2].item() == pytest.approx(direct, rel=1e-5, abs=1e-5)
    torch.testing.assert_close(gram_matrix(f), g / 20)
    torch.testing.assert_close(g, g.transpose(1, 2))


def test_losses_match_the_notes():
    f, t = torch.rand(1, 2, 3, 3), torch.rand(1, 2, 3, 3)
    assert float(content_loss(f, t)) == pytest.approx(float(((f - t) ** 2).sum()) / 18)
    g, s = torch.rand(1, 4, 4), torch.rand(1, 4, 4)
    assert float(style_layer_loss(g, s)) == pytest.approx(float(((g - s) ** 2).sum()) / (4 * 16))
    assert float(style_layer_loss(g, g)) == 0


def test_default_layers(net):
    content, style = default_layers(net)
    assert content.startswith("features.") and content.endswith(".act")
    assert style[0] == "features.stage1.conv1.act" and len(style) == 4


def test_style_loss_with_weights(net):
    style = torch.rand(3, 16, 16)
    loss = StyleContentLoss(net, style, "features.stage2.conv1.act", ["features.stage1.conv1.act", "features.stage2.conv2.act"], [1.0, 0.0])
    x = torch.rand(1, 3, 16, 16)
    lc, ls, per_layer = loss.losses(x, loss.content_target(x))
    assert float(lc) == 0 and float(ls) == pytest.approx(float(per_layer["features.stage1.conv1.act"]))
    _, ls_self, _ = loss.losses(style.unsqueeze(0), loss.content_target(x))
    assert float(ls_self) == pytest.approx(0, abs=1e-10)
    with pytest.raises(ValueError, match="one gamma per layer"):
        StyleContentLoss(net, style, "features.stage2.conv1.act", ["features.stage1.conv1.act"], [1.0, 2.0])


@pytest.mark.parametrize("optimizer,steps,lr", [("lbfgs", 30, 1.0), ("adam", 60, 0.03)])
def test_gatys_style_loss_falls_tenfold_from_the_content_while_content_stays_bounded(net, optimizer, steps, lr):
    from dlbox.data.samples import load_image

    content, style = load_image("sample:astronaut", 3, size=(20, 20)), load_image("sample:gravel", 3, size=(20, 20))
    cfg = GatysConfig(optimize=OptimizeConfig(steps=steps, optimizer=optimizer, lr=lr, progress=False))
    res = style_transfer(net, content, style, cfg)
    assert res.before["content"] == 0
    assert res.after["style"] < res.before["style"] / 10, (res.before, res.after)
    assert res.after["content"] < 0.5 * res.reference["content"]  # far from losing the content as a noise image does
    assert res.image.shape == content.shape and 0 <= res.image.min() and res.image.max() <= 1


def test_transformer_net_any_size_and_registered():
    net = create_model("style_transformer", channels=[4, 8, 8], res_blocks=1)
    for hw in [(16, 16), (21, 34)]:
        y = net(torch.rand(2, 3, *hw))
        assert y.shape == (2, 3, *hw) and 0 <= y.min() and y.max() <= 1
    norms = [m for m in net.modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert len(norms) == 3 + 2 * 1 + 2


def test_transformer_net_round_trips_through_a_run_directory(tmp_path):
    net = create_model("style_transformer", channels=[4, 8, 8], res_blocks=1).eval()
    save_model(tmp_path, net, {"task": "style"})
    again = load_model(tmp_path)
    x = torch.rand(1, 3, 12, 12)
    torch.testing.assert_close(again(x), net(x))


def _content_folder(tmp_path, n=6):
    folder = tmp_path / "content"
    folder.mkdir()
    from dlbox.data.samples import load_sample

    for i, name in enumerate(["astronaut", "coffee", "chelsea", "rocket", "colorwheel", "ihc"][:n]):
        arr = (load_sample(name, 3, max_side=40).permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"{i}.png")
    (folder / "junk.png").write_bytes(b"not an image")
    return folder


def test_perceptual_training_and_one_pass_stylisation(tmp_path):
    from dlbox.config import DataConfig, FabricConfig, ModelConfig, TrainConfig
    from dlbox.tasks.style.apply import apply_style
    from dlbox.tasks.style.config import StyleOptions, StyleTrainConfig
    from dlbox.tasks.style.train import train as train_style

    folder = _content_folder(tmp_path)
    cfg = StyleTrainConfig(
        style=StyleOptions(image="sample:gravel", loss_model="cnn"), data=DataConfig(name=f"folder:{folder}", image_size=24),
        out=str(tmp_path / "run"),
        model=ModelConfig(name="style_transformer", kwargs={"channels": [4, 8, 8], "res_blocks": 1}),
        train=TrainConfig(epochs=3, batch_size=2, eval_batch_size=4, log_every=1, monitor="val_loss", progress=False),
        fabric=FabricConfig(accelerator="cpu"),
    )
    cfg.optim.lr = 0.001
    with pytest.warns(UserWarning, match="junk.png"):
        run = train_style(cfg)
    m = json.loads((run / "metrics.json").read_text())
    assert m["steps"] == 9 and m["stopped_by"] == "epochs"
    val = [h["val_loss"] for h in m["history"]]
    assert len(val) == 3 and val[-1] < val[0]  # the transformation network learns
    assert m["seconds_per_256_image"] > 0
    for name in ("model.safetensors", "model.json", "samples.png", "style.png", "curves.png", "config.yaml"):
        assert (run / name).is_file(), name
    out, rows = apply_style(run, ["sample:coffee", str(folder / "0.png")], out=tmp_path / "applied", max_side=30)
    assert [r["size"] for r in rows] == [[20, 30], [30, 30]]
    assert (out / "coffee-stylised.png").is_file() and (out / "metrics.json").is_file()
    with Image.open(out / "coffee-stylised.png") as im:
        assert im.size == (30, 20)


def test_apply_rejects_a_run_that_is_not_a_style_run(tmp_path):
    from dlbox.tasks.style.apply import apply_style

    model = create_model("cnn", in_channels=3, num_classes=2, image_size=8, channels=[4])
    save_model(tmp_path, model, {"task": "classify"})
    with pytest.raises(ValueError, match="not a style-transfer run"):
        apply_style(tmp_path, ["sample:coffee"], out=tmp_path / "o")
