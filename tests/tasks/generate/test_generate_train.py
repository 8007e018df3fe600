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


def test_a_vae_run_fits_its_mixture_prior_saves_it_and_can_still_sample_from_n01(tmp_path, tiny_cfg, evaluator_run):
    from safetensors.torch import load_file

    from dlbox.tasks.generate.evaluate import evaluate_run

    run = train(tiny_cfg("vae", tmp_path / "run", evaluator_run, prior_components=3))
    m = json.loads((run / "metrics.json").read_text())
    assert m["sampler"] == "decoder at z ~ fitted 3-component Gaussian mixture"
    weights = load_file(str(run / "model.safetensors"))
    assert weights["prior_means"].shape == (3, 2) and weights["prior_means"].abs().sum() > 0  # fitted, not the N(0, I) start
    assert json.loads((run / "model.json").read_text())["kwargs"]["prior_components"] == 3
    _, standard = evaluate_run(run, prior="standard", out=tmp_path / "standard")
    assert standard["sampler"] == "decoder at z ~ N(0, I)" and standard["frechet_distance"] != m["frechet_distance"]
    assert standard["test_bits_per_dim"] == pytest.approx(m["test_bits_per_dim"])  # the ELBO does not use the fitted prior
