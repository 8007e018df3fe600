"""The evaluator classifier: trained once per dataset and split, cached, reused; a user's run checked against the data."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from dlbox.config import DataConfig
from dlbox.tasks.generate.evaluator import evaluator_dir, load_evaluator


def test_the_cache_key_follows_the_images_and_the_split_only(tmp_path, monkeypatch):
    base = DataConfig(name="digits")
    key = evaluator_dir(base)
    assert key.parent.as_posix() == "runs/generate-evaluators" and key.name.startswith("digits-")
    for same in ({"train_per_class": 5}, {"augment": True}, {"num_workers": 0}, {"in_memory_limit_mb": 10}):
        assert evaluator_dir(dataclasses.replace(base, **same)) == key, same
    for other in ({"split_seed": 1}, {"image_size": 16}, {"test_fraction": 0.3}, {"name": "shapes"}):
        assert evaluator_dir(dataclasses.replace(base, **other)) != key, other
    (tmp_path / "imgs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert evaluator_dir(DataConfig(name="folder:imgs")) == evaluator_dir(DataConfig(name=f"folder:{tmp_path / 'imgs'}"))
    assert evaluator_dir(DataConfig(name="folder:imgs")).name.startswith("imgs-")


def test_without_a_run_one_is_trained_once_cached_and_the_callers_random_numbers_are_kept(tmp_path, monkeypatch, tiny_cfg):
    from dlbox.tasks.generate.data import load_generative_data

    monkeypatch.chdir(tmp_path)
    cfg = tiny_cfg("vae", None, None)
    bundle = load_generative_data(cfg.data)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    model, run = load_evaluator(cfg, bundle)
    assert torch.equal(torch.rand(3), expected)  # training it drew no random numbers of the caller's
    assert run == evaluator_dir(cfg.data) and (run / "metrics.json").is_file()
    accuracy = float((model(bundle.test["image"]).argmax(1) == bundle.test["label"]).float().mean())
    assert accuracy > 0.9  # trained on the full training split (train_per_class does not apply to it)
    stamp = (run / "model.safetensors").stat().st_mtime_ns
    again, run_again = load_evaluator(cfg, bundle)
    assert run_again == run and (run / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not retrained
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_a_given_run_must_name_the_datas_classes_and_have_features(tmp_path, tiny_cfg, evaluator_run):
    from dlbox.model_io import save_model
    from dlbox.models import create_model
    from dlbox.tasks.generate.data import load_generative_data

    cfg = tiny_cfg("gan", None, evaluator_run)
    bundle = load_generative_data(cfg.data)
    model, run = load_evaluator(cfg, bundle)
    assert run == evaluator_run and not model.training
    letters = dataclasses.replace(bundle, class_names=[chr(97 + i) for i in range(10)])
    with pytest.raises(ValueError, match="names the classes \\['0', '1'"):
        load_evaluator(cfg, letters)
    flat = tmp_path / "ae"
    flat.mkdir()
    save_model(flat, create_model("style_transformer"),  # convolutions only
               {"task": "classify", "class_names": bundle.class_names, "input": {"channels": 1, "size": [8, 8]}})
    cfg.generate.evaluator = str(flat)
    with pytest.raises(ValueError, match=f"--evaluator {flat}: .*no nn.Linear"):
        load_evaluator(cfg, bundle)
