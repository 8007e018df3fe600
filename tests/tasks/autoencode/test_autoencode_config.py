"""The autoencode config: per-mode defaults and old ``config.yaml`` files in today's keys."""

from __future__ import annotations

import copy

import pytest

from dlbox.config import from_dict, save_yaml, to_dict
from dlbox.tasks.autoencode.config import AutoencodeConfig, default_config, upgrade

# A config.yaml as `dlbox autoencode anomaly` wrote it before the shared vocabulary (top-level mode/noise/...,
# the attack as prefixed fields of the anomaly section).
OLD = {
    "mode": "anomaly",
    "name": None,
    "out": "runs/autoencode/old",
    "data": {"name": "digits", "train_per_class": 40},
    "model": {"name": "conv_autoencoder", "kwargs": {"latent_dim": 8}},
    "optim": {"lr": 0.01},
    "train": {"epochs": 30, "batch_size": 32, "monitor": "val_loss"},
    "fabric": {"accelerator": "cpu"},
    "noise": 0.1,
    "clip_noise": True,
    "anomaly": {"normal": ["0", "1"], "threshold_quantile": 0.9, "classifier": "runs/classify/cnn",
                "attack_method": "fgsm", "attack_eps": 0.2, "attack_norm": "l2", "attack_target": "none"},
    "grid": 15,
    "show": 4,
}


def test_mode_defaults():
    assert default_config().autoencode.mode == "train" and default_config().model.name == "conv_autoencoder"
    d = default_config("denoise")
    assert d.autoencode.noise == 0.3 and d.model.kwargs == {"channels": [64, 128], "latent_dim": 32} and d.train.epochs == 100
    assert default_config("manifold").model.kwargs == {"latent_dim": 2}
    a = default_config("anomaly")
    assert a.autoencode.anomaly.attack.run is None and a.train.monitor == "val_loss" and a.optim.lr == 1e-2


def test_upgrade_moves_old_keys_into_the_autoencode_section():
    before = copy.deepcopy(OLD)
    cfg = from_dict(AutoencodeConfig, upgrade(OLD))
    assert OLD == before  # the caller's dict is left alone
    ae = cfg.autoencode
    assert (ae.mode, ae.noise, ae.clip_noise, ae.show) == ("anomaly", 0.1, True, 4)
    assert ae.anomaly.normal == ["0", "1"] and ae.anomaly.threshold_quantile == 0.9
    attack = ae.anomaly.attack
    assert (attack.run, attack.method, attack.eps, attack.norm, attack.target) == ("runs/classify/cnn", "fgsm", 0.2, "l2", "none")
    assert cfg.data.train_per_class == 40 and cfg.model.kwargs == {"latent_dim": 8}


def test_upgrade_leaves_todays_configs_as_they_are():
    today = to_dict(default_config("anomaly"))
    assert upgrade(today) == today


def test_resume_reads_an_old_config_yaml(tmp_path):
    from dlbox.engine.run import resume_config
    from dlbox.tasks.autoencode.train import RECIPE

    save_yaml(OLD, tmp_path / "config.yaml")  # an unfinished old run (no metrics.json)
    cfg, applied = resume_config(RECIPE, tmp_path, None, {"train": {"epochs": 40}})
    assert cfg.autoencode.anomaly.attack.method == "fgsm" and cfg.train.epochs == 40
    assert applied == {"train.epochs": [30, 40]}
    with pytest.raises(ValueError, match="autoencode.noise was 0.1 and cannot change"):
        resume_config(RECIPE, tmp_path, None, {"autoencode": {"noise": 0.3}})
