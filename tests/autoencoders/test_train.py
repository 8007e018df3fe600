"""End to end through the shared loop (tiny models, few epochs)."""

import json

import pytest
import torch

from dlbox.autoencoders.config import AutoencodeConfig, default_config
from dlbox.autoencoders.train import check_config, train


def _small(mode: str, out, **kw) -> AutoencodeConfig:
    cfg = default_config(mode)
    cfg.out = str(out)
    cfg.model.kwargs = {**cfg.model.kwargs, "channels": [8, 16]}
    cfg.data.train_per_class = 40  # 400 training images: 13 steps an epoch
    cfg.train.epochs = kw.pop("epochs", 3)
    cfg.optim.lr = 1e-2
    cfg.train.progress = False
    cfg.show = 3
    cfg.fabric.accelerator = "cpu"
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def test_train_mode_writes_a_complete_run_that_load_model_rebuilds(tmp_path):
    from dlbox.model_io import load_model

    run = train(_small("train", tmp_path / "r"))
    m = json.loads((run / "metrics.json").read_text())
    assert m["mode"] == "train" and m["test_psnr"] > 10 and m["epochs"] == 3
    for f in ("model.json", "model.safetensors", "config.yaml", "curves.png", "reconstructions.png", "checkpoints/last.ckpt"):
        assert (run / f).exists(), f
    ae = load_model(run)
    assert ae.dlbox_meta["mode"] == "train" and ae(torch.rand(2, 1, 8, 8)).shape == (2, 1, 8, 8)


def test_denoise_mode_beats_the_noisy_input(tmp_path):
    run = train(_small("denoise", tmp_path / "d", epochs=4))
    m = json.loads((run / "metrics.json").read_text())
    assert m["sigma"] == 0.3 and m["psnr_noisy"] == pytest.approx(10.5, abs=0.3)
    assert m["psnr_denoised"] > m["psnr_noisy"] + 0.5  # an untrained decoder (all 0.5) scores about 6 dB
    assert [r["sigma"] for r in m["by_sigma"]] == [0.1, 0.2, 0.3, 0.5]
    assert (run / "denoised.png").is_file()


def test_anomaly_mode_trains_on_normal_classes_and_scores_adversarial_examples(tmp_path):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    clf_dir = tmp_path / "clf"
    clf_dir.mkdir()
    torch.manual_seed(0)
    clf = create_model("mlp", depth=1, width=16, dropout=0.0)  # untrained: fgsm still changes images
    save_model(clf_dir, clf, {"task": "classify", "class_names": [str(i) for i in range(10)], "input": {"channels": 1, "size": [8, 8]}})
    cfg = _small("anomaly", tmp_path / "a", epochs=10)
    cfg.data.train_per_class = None  # the ~640 normal training images
    cfg.anomaly.classifier = str(clf_dir)
    cfg.anomaly.attack_method = "fgsm"
    cfg.anomaly.attack_target = "none"
    run = train(cfg)
    m = json.loads((run / "metrics.json").read_text())
    data = json.loads((run / "data.json").read_text())
    assert data["normal_classes"] == ["0", "1", "2", "3", "4"]
    assert m["n_normal"] + m["n_anomalous"] == 359 and m["roc_auc"] > 0.7
    assert m["false_alarm_rate"] <= 0.2
    assert m["adversarial"]["attack"]["method"] == "fgsm" and "roc_auc" in m["adversarial"]
    for f in ("errors.png", "roc.png", "anomaly_examples.png"):
        assert (run / f).is_file()


def test_manifold_mode_uses_a_2d_code(tmp_path):
    run = train(_small("manifold", tmp_path / "m", grid=3))
    m = json.loads((run / "metrics.json").read_text())
    assert m["latent_dim"] == 2 and m["map"] == "code" and 0.1 < m["knn5_accuracy"] <= 1
    assert (run / "latent_map.png").is_file() and (run / "latent_grid.png").is_file()


def test_config_errors():
    with pytest.raises(ValueError, match="train, denoise, anomaly, manifold"):
        check_config(AutoencodeConfig(mode="vae"))
    with pytest.raises(ValueError, match="positive --noise"):
        check_config(AutoencodeConfig(mode="denoise", noise=0.0))
    cfg = AutoencodeConfig()
    cfg.anomaly.threshold_quantile = 1.5
    with pytest.raises(ValueError, match="quantile"):
        check_config(cfg)
    cfg = AutoencodeConfig()
    cfg.train.monitor = "val_acc"  # a classifier's metric: autoencoders have none
    with pytest.raises(ValueError, match="val_loss, val_psnr"):
        check_config(cfg)
