"""``dlbox autoencode`` runs end to end through the one training run (tiny models, few epochs)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from dlbox.engine.checks import check_config
from dlbox.tasks.autoencode.config import AutoencodeConfig
from dlbox.tasks.autoencode.train import RECIPE, UNUSED, train


def test_train_mode_writes_a_complete_run_that_load_model_rebuilds(tmp_path, small_cfg):
    from dlbox.model_io import load_model

    run = train(small_cfg("train", tmp_path / "r", epochs=3))
    m = json.loads((run / "metrics.json").read_text())
    assert m["mode"] == "train" and m["test_psnr"] > 10 and m["epochs"] == 3 and m["steps"] == 3 * 13
    assert m["val_loss"] > 0 and m["best_val_loss"] <= m["val_loss"] and m["stopped_by"] == "epochs"
    for f in ("model.json", "model.safetensors", "config.yaml", "curves.png", "reconstructions.png", "checkpoints/last.ckpt"):
        assert (run / f).exists(), f
    ae = load_model(run)
    assert ae.dlbox_meta["mode"] == "train" and ae.dlbox_meta["latent_dim"] == 8 and ae(torch.rand(2, 1, 8, 8)).shape == (2, 1, 8, 8)


def test_denoise_mode_beats_the_noisy_input(tmp_path, small_cfg):
    run = train(small_cfg("denoise", tmp_path / "d", epochs=4))
    m = json.loads((run / "metrics.json").read_text())
    assert m["sigma"] == 0.3 and m["psnr_noisy"] == pytest.approx(10.5, abs=0.3)
    assert m["psnr_denoised"] > m["psnr_noisy"] + 0.5  # an untrained decoder (all 0.5) scores about 6 dB
    assert [r["sigma"] for r in m["by_sigma"]] == [0.1, 0.2, 0.3, 0.5]
    assert (run / "denoised.png").is_file()


def test_anomaly_mode_trains_on_normal_classes_and_scores_adversarial_examples(tmp_path, small_cfg, classifier_run):
    from dlbox.data import load_dataset

    cfg = small_cfg("anomaly", tmp_path / "a", epochs=10)
    cfg.data.train_per_class = None  # the ~640 normal training images
    cfg.autoencode.anomaly.attack.run = str(classifier_run)
    cfg.autoencode.anomaly.attack.method = "fgsm"
    cfg.autoencode.anomaly.attack.target = "none"
    run = train(cfg)
    m = json.loads((run / "metrics.json").read_text())
    data = json.loads((run / "data.json").read_text())
    assert data["normal_classes"] == ["0", "1", "2", "3", "4"]
    n_normal = int((load_dataset(cfg.data).train["label"] < 5).sum())  # training on the normal digits only
    assert data["sizes"]["train"] == n_normal and m["steps"] == 10 * math.ceil(n_normal / 32)
    assert m["n_normal"] + m["n_anomalous"] == 359 and m["roc_auc"] > 0.7
    assert m["false_alarm_rate"] <= 0.2
    assert m["adversarial"]["attack"]["method"] == "fgsm" and m["adversarial"]["classifier"] == str(classifier_run)
    for f in ("errors.png", "roc.png", "anomaly_examples.png"):
        assert (run / f).is_file()


def test_manifold_mode_uses_a_2d_code(tmp_path, small_cfg):
    run = train(small_cfg("manifold", tmp_path / "m", grid=3))
    m = json.loads((run / "metrics.json").read_text())
    assert m["latent_dim"] == 2 and m["map"] == "code" and 0.1 < m["knn5_accuracy"] <= 1
    assert (run / "latent_map.png").is_file() and (run / "latent_grid.png").is_file()


def test_shared_options_ema_grad_clip_channels_last_bf16_and_full_batch(tmp_path, small_cfg):
    cfg = small_cfg("train", tmp_path / "e", epochs=3)
    cfg.train.ema, cfg.train.ema_decay, cfg.train.grad_clip, cfg.train.batch_size = True, 0.5, 1.0, "full"
    cfg.fabric.precision, cfg.fabric.channels_last = "bf16-mixed", True
    run = train(cfg)
    m = json.loads((run / "metrics.json").read_text())
    assert m["batch_size"] == 400 and m["steps"] == 3  # one full-batch step an epoch
    saved = load_file(str(run / "model.safetensors"))
    assert "n_averaged" not in saved  # the EMA's plain module was saved, not the AveragedModel wrapper
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert "ema" in ckpt and int(ckpt["ema"]["n_averaged"]) == 3


def test_resume_continues_an_unfinished_denoising_run_exactly(tmp_path, small_cfg):
    cfg = small_cfg("denoise", tmp_path / "straight", epochs=3)
    cfg.optim.schedule, cfg.train.deterministic = "none", True
    straight = train(cfg)
    cfg.out, cfg.train.epochs = str(tmp_path / "cut"), 1
    cut = train(cfg)
    (cut / "metrics.json").unlink()  # as if the process died after the first epoch's checkpoint
    resumed = train(cfg, resume=cut, changes={"train": {"epochs": 3}})
    m = json.loads((resumed / "metrics.json").read_text())
    assert resumed == cut and m["epochs"] == 3 and m["resumed_with"] == {"train.epochs": [1, 3]}
    a, b = load_file(str(straight / "model.safetensors")), load_file(str(cut / "model.safetensors"))
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("field", UNUSED)
def test_unused_shared_fields_are_errors(field):
    cfg = AutoencodeConfig()
    section, _, key = field.rpartition(".")
    target = getattr(cfg, section) if section else cfg
    setattr(target, key, {"init": "runs/classify/x", "backbone_lr_mult": 0.1, "augment": True, "num_workers": 0}[key])
    with pytest.raises(ValueError, match=f"config field {field} is not used by `dlbox autoencode`"):
        check_config(RECIPE, cfg)


def _mode(mode: str) -> AutoencodeConfig:
    cfg = AutoencodeConfig()
    cfg.autoencode.mode = mode
    return cfg


def test_config_errors(classifier_run):
    with pytest.raises(ValueError, match="train, denoise, anomaly, manifold"):
        check_config(RECIPE, _mode("vae"))
    with pytest.raises(ValueError, match="positive --noise"):
        check_config(RECIPE, _mode("denoise"))
    cfg = _mode("anomaly")
    cfg.autoencode.anomaly.threshold_quantile = 1.5
    with pytest.raises(ValueError, match="threshold_quantile"):
        check_config(RECIPE, cfg)
    cfg = _mode("anomaly")
    cfg.data.val_fraction = 0.0
    with pytest.raises(ValueError, match="data.val_fraction must be above 0"):
        check_config(RECIPE, cfg)
    cfg = AutoencodeConfig()
    cfg.train.monitor = "val_acc"  # a classifier's metric: autoencoders have none
    with pytest.raises(ValueError, match="val_loss, val_psnr"):
        check_config(RECIPE, cfg)
    cfg = AutoencodeConfig()
    cfg.autoencode.clip_noise = True
    with pytest.raises(ValueError, match="needs --noise above 0"):
        check_config(RECIPE, cfg)
    cfg = _mode("anomaly")
    cfg.autoencode.anomaly.attack.run = str(classifier_run)
    cfg.autoencode.anomaly.attack.norm = "l3"
    with pytest.raises(ValueError, match="l3"):
        check_config(RECIPE, cfg)


def test_options_the_mode_ignores_are_errors():
    cfg = _mode("denoise")
    cfg.autoencode.noise, cfg.autoencode.grid = 0.3, 5
    with pytest.raises(ValueError, match="autoencode.grid does nothing in `dlbox autoencode denoise`"):
        check_config(RECIPE, cfg)
    cfg = AutoencodeConfig()
    cfg.autoencode.anomaly.normal = ["0"]
    with pytest.raises(ValueError, match="autoencode.anomaly does nothing in `dlbox autoencode train`"):
        check_config(RECIPE, cfg)
    cfg = _mode("manifold")
    cfg.autoencode.show = 3
    with pytest.raises(ValueError, match="autoencode.show does nothing"):
        check_config(RECIPE, cfg)
    cfg = _mode("anomaly")
    cfg.autoencode.anomaly.attack.eps = 0.1
    with pytest.raises(ValueError, match="attack.eps is set but there is no classifier"):
        check_config(RECIPE, cfg)


def test_data_errors_come_before_any_run_directory(tmp_path, small_cfg, classifier_run):
    from dlbox.models import create_model
    from dlbox.model_io import save_model

    rgb = tmp_path / "rgb"
    rgb.mkdir()
    save_model(rgb, create_model("mlp", in_channels=3, depth=1, width=4),
               {"task": "classify", "class_names": [str(i) for i in range(10)], "input": {"channels": 3, "size": [8, 8]}})
    cfg = small_cfg("anomaly", tmp_path / "out")
    cfg.autoencode.anomaly.attack.run = str(rgb)
    with pytest.raises(ValueError, match=r"takes \(3, 8, 8\) images but this dataset's are \(1, 8, 8\)"):
        train(cfg)
    cfg = small_cfg("anomaly", tmp_path / "out")
    cfg.autoencode.anomaly.normal = ["7", "dog"]
    with pytest.raises(ValueError, match="its classes are: 0, 1"):
        train(cfg)
    assert not (tmp_path / "out").exists()
