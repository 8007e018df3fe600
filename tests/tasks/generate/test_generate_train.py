"""Every kind trains on every kind of data: digits (covered by the CLI tests), generated shapes and an image folder."""

from __future__ import annotations

import json

import pytest

from dlbox.tasks.generate.train import train


@pytest.mark.parametrize("kind, data", [("gan", "shapes"), ("vae", "shapes"), ("flow", "folder"), ("diffusion", "folder")])
def test_each_kind_trains_on_shapes_and_folders_with_its_own_cached_evaluator(tmp_path, monkeypatch, tiny_cfg, image_tree, kind, data):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_cfg(kind, tmp_path / "run", None, max_steps=2)
    cfg.data.train_per_class = None
    if data == "shapes":
        cfg.data.name, cfg.data.image_size, cfg.data.num_samples = "shapes", 16, 60
    else:
        cfg.data.name = f"folder:{image_tree({'a': 10, 'b': 10}, size=(8, 8), formats=('png',))}"
    run = train(cfg)
    m = json.loads((run / "metrics.json").read_text())
    info = json.loads((run / "data.json").read_text())
    size = 16 if data == "shapes" else 8
    assert json.loads((run / "model.json").read_text())["input"] == {"channels": 3, "size": [size, size]}
    assert info["levels"] == 256 and info["rounded_to_levels"] == (data == "shapes")  # PNG pixels are already 8-bit
    assert m["kind"] == kind and m["steps"] == 2 and set(m["class_histogram"]) == set(info["class_names"])
    assert m["evaluator"].startswith("runs/generate-evaluators/") and (tmp_path / m["evaluator"] / "metrics.json").is_file()
    assert (run / "samples.png").is_file() and (run / "interpolations.png").is_file()
