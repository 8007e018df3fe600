"""``dlbox generate train|sample|eval|interpolate`` from the user's side (tiny models, a couple of steps)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from dlbox.cli.main import app

TINY = {
    "vae": ["--model-arg", "channels=[4,8]", "--model-arg", "hidden=[16]", "--latent-dim", "2"],
    "gan": ["--latent-dim", "4", "--model-arg", "g_width=8", "--model-arg", "d_width=8"],
    "flow": ["--model-arg", "hidden=8", "--model-arg", "depth=1"],
    "diffusion": ["--model-arg", "width=8", "--timesteps", "50", "--ddim-steps", "5"],
}
QUICK = ["--max-steps", "2", "--no-progress", "--accelerator", "cpu", "--set", "data.train_per_class=20", "--samples", "20"]
YARDSTICK = {"kind", "samples", "sampler", "seconds_per_image", "frechet_distance", "frechet_floor", "frechet_ratio",
             "mean_confidence", "confident_fraction", "class_entropy", "class_entropy_max", "class_histogram", "n_test_images"}


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture(scope="module")
def evaluator_run(digits_classifier_run) -> Path:
    """An untrained small CNN saved like a finished digits classify run (enough to score samples with)."""
    return digits_classifier_run


def _said(result) -> str:
    return " ".join((result.output + (getattr(result, "stderr", "") or "")).split())


def _train(runner, kind, out, evaluator_run, *extra):
    return runner.invoke(app, ["generate", "train", "--model", kind, *TINY[kind], *QUICK, "--evaluator", str(evaluator_run), "--out", str(out), *extra])


@pytest.mark.parametrize("kind", ["vae", "gan", "flow", "diffusion"])
def test_train_sample_eval_interpolate(runner, tmp_path, evaluator_run, kind):
    run = tmp_path / kind
    r = _train(runner, kind, run, evaluator_run)
    assert r.exit_code == 0, _said(r)
    assert "Frechet distance" in r.output and f"run directory: {run}" in r.output
    for f in ("model.json", "model.safetensors", "config.yaml", "data.json", "metrics.csv", "curves.png", "samples.png",
              "interpolations.png", "checkpoints/last.ckpt"):
        assert (run / f).is_file(), f
    m = json.loads((run / "metrics.json").read_text())
    assert YARDSTICK <= set(m) and m["kind"] == kind and m["steps"] == 2 and m["samples"] == 20
    assert m["frechet_ratio"] == pytest.approx(m["frechet_distance"] / m["frechet_floor"])
    assert ("test_bits_per_dim" in m) == (kind in ("vae", "flow"))
    assert ("latent_map.png" in m["figures"]) == (kind == "vae") and (run / "latent_grid.png").is_file() == (kind == "vae")
    meta = json.loads((run / "model.json").read_text())
    assert meta["kind"] == kind and meta["levels"] == 17 and meta["task"] == "generate"

    r = runner.invoke(app, ["generate", "sample", "--run", str(run), "--n", "6", "--accelerator", "cpu", "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, _said(r)
    images = load_file(tmp_path / "s" / "samples.safetensors")["images"]
    assert images.shape == (6, 1, 8, 8) and images.min() >= 0 and images.max() <= 1 and (tmp_path / "s" / "samples.png").is_file()

    extra = ["--sampler", "ddpm"] if kind == "diffusion" else []
    r = runner.invoke(app, ["generate", "eval", "--run", str(run), "--samples", "12", "--out", str(tmp_path / "e"), *extra])
    assert r.exit_code == 0, _said(r)
    e = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert YARDSTICK <= set(e) and e["samples"] == 12 and e["run"] == str(run) and e["evaluator"] == str(evaluator_run)
    if kind == "diffusion":
        assert e["sampler"] == "DDPM ancestral, 50 steps" and m["sampler"] == "DDIM, 5 steps, eta 0"

    r = runner.invoke(app, ["generate", "interpolate", "--run", str(run), "--pairs", "2", "--steps", "3", "--out", str(tmp_path / "i")])
    assert r.exit_code == 0, _said(r)
    assert (tmp_path / "i" / "interpolations.png").is_file() and json.loads((tmp_path / "i" / "metrics.json").read_text())["steps"] == 3


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory, evaluator_run) -> Path:
    run = tmp_path_factory.mktemp("vae") / "run"
    r = CliRunner().invoke(app, ["generate", "train", "--model", "vae", *TINY["vae"], *QUICK, "--evaluator", str(evaluator_run), "--out", str(run)])
    assert r.exit_code == 0, r.output
    return run


@pytest.mark.parametrize(
    "args, message",
    [
        (["train"], "say which generative model to train: --model vae|gan|flow|diffusion"),
        (["train", "--model", "pixelcnn"], "'pixelcnn' is not valid; choose from vae, gan, flow, diffusion"),
        (["train", "--model", "gan", "--beta", "2"], "generate.beta does nothing with --model gan (only vae uses it)"),
        (["train", "--model", "gan", "--image-size", "12"], "image_size must be square with side 2 * 2^n"),
        (["train", "--model", "flow", "--evaluator", "nowhere"], "run directory nowhere does not exist"),
        (["train", "--model", "vae", "--data", "mnist"], "valid datasets"),
        (["train", "--model", "diffusion", "--ddim-steps", "2000"], "generate.ddim_steps must be in 1..1000"),
        (["train", "--model", "vae", "--likelihood", "bernoulli"], "choose from discretized, gaussian"),
        (["train", "--model", "gan", "--monitor", "val_loss"], "not reported by --model gan"),
        (["train", "--model", "flow", "--set", "data.augment=true"], "data.augment is not used by `dlbox generate`"),
        (["sample", "--run", "nowhere"], "run directory nowhere does not exist"),
    ],
)
def test_bad_input_is_one_error_line_and_leaves_no_run(runner, tmp_path, args, message):
    result = runner.invoke(app, ["generate", *args, *(["--no-progress", "--out", str(tmp_path / "run")] if args[0] == "train" else [])])
    assert result.exit_code == 2, result.output
    said = _said(result)
    assert said.startswith("error:") and message in said and "Traceback" not in said, said
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()


def test_evaluator_of_other_data_and_bad_options_on_a_finished_run(runner, tmp_path, evaluator_run, vae_run):
    r = runner.invoke(app, ["generate", "train", "--model", "vae", "--data", "shapes", "--image-size", "8", "--set", "data.num_samples=60",
                            "--evaluator", str(evaluator_run), "--out", str(tmp_path / "run")])
    assert r.exit_code == 2 and "takes images {'channels': 1, 'size': [8, 8]} but this dataset's are {'channels': 3" in _said(r)
    for args, message in [
        (["eval", "--run", str(vae_run), "--sampler", "ddpm"], "generate.sampler does nothing with --model vae"),
        (["interpolate", "--run", str(vae_run), "--method", "cubic"], "interpolation method 'cubic' is not valid; choose from slerp, lerp"),
        (["sample", "--run", str(evaluator_run)], "has no config.yaml"),
        (["sample", "--run", str(vae_run), "--accelerator", "tpu"], "accelerator 'tpu' is not valid"),
    ]:
        r = runner.invoke(app, ["generate", *args])
        assert r.exit_code == 2 and _said(r).startswith("error:") and message in _said(r), _said(r)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "run").exists()


def test_a_killed_gan_run_resumes_to_the_end_with_both_optimizers_and_losses(runner, tmp_path, evaluator_run, kill_training):
    run = tmp_path / "gan"
    kill_training(["generate", "train", "--model", "gan", *TINY["gan"], "--epochs", "40", "--no-progress", "--accelerator", "cpu",
                   "--set", "data.train_per_class=20", "--samples", "20", "--evaluator", str(evaluator_run)], run, epochs=2)
    assert not (run / "metrics.json").exists()
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert {"optimizer_discriminator", "optimizer_generator", "ema"} <= set(state)
    assert state["optimizer_discriminator"]["param_groups"][0]["betas"] == (0.5, 0.999)
    result = runner.invoke(app, ["generate", "train", "--resume", str(run), "--epochs", "5", "--no-progress"])
    assert result.exit_code == 0, _said(result)
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs"] == 5 and m["steps"] == 5 * 4 and m["resumed_with"] == {"train.epochs": [40, 5]}
    rows = [r for r in csv.DictReader((run / "metrics.csv").read_text().splitlines()) if r.get("train_d_loss")]
    assert [int(float(r["epoch"])) for r in rows] == [1, 2, 3, 4, 5]  # every epoch once, before and after the kill
    assert all(float(r["train_g_loss"]) > 0 and float(r["val_class_entropy"]) >= 0 for r in rows)
