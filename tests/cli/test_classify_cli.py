"""`dlbox classify train|eval|predict` through the CLI: outputs, run directories, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from dlbox.cli.main import app

TINY = ["--model-arg", "channels=[8,16]", "--model-arg", "convs_per_stage=1", "--batch-size", "32", "--no-progress"]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default run directories land under tmp_path/runs
    return CliRunner()


def _run_dir(output: str) -> Path:
    line = next(l for l in output.splitlines() if l.startswith("run directory: "))
    return Path(line.split(": ", 1)[1])


@pytest.fixture
def trained(runner, tmp_path):
    result = runner.invoke(app, ["classify", "train", "--epochs", "2", *TINY, "--name", "tiny"])
    assert result.exit_code == 0, result.output
    return _run_dir(result.output)


def _digit_png(path: Path, index: int = 0) -> Path:
    from sklearn.datasets import load_digits

    img = (load_digits().images[index] / 16 * 255).astype(np.uint8)
    Image.fromarray(img).save(path)
    return path


def test_train_prints_run_dir_under_runs(trained, tmp_path):
    assert trained == Path("runs/classify/tiny")
    assert (tmp_path / trained / "metrics.json").is_file()


def test_second_run_with_same_name_gets_new_directory(runner, trained):
    result = runner.invoke(app, ["classify", "train", "--epochs", "1", *TINY, "--name", "tiny"])
    assert result.exit_code == 0, result.output
    assert _run_dir(result.output) == Path("runs/classify/tiny-001")


def test_eval_writes_report(runner, trained, tmp_path):
    result = runner.invoke(app, ["classify", "eval", "--run", str(trained), "--out", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    train_metrics = json.loads((trained / "metrics.json").read_text())
    assert report["accuracy"] == pytest.approx(train_metrics["test_acc"], abs=1e-6)
    assert set(report["per_class"]) == {str(i) for i in range(10)}
    assert (tmp_path / "ev" / "confusion_matrix.png").is_file()


def test_predict_top_k(runner, trained, tmp_path):
    images = [_digit_png(tmp_path / f"d{i}.png", i) for i in range(3)]
    result = runner.invoke(app, ["classify", "predict", *map(str, images), "--run", str(trained), "--top-k", "2", "--out", str(tmp_path / "pr")])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "pr" / "predictions.json").read_text())
    assert len(rows) == 3 and all(len(r["top"]) == 2 for r in rows)
    for r in rows:
        probs = [p for _, p in r["top"]]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_predict_takes_bundled_sample_images(runner, trained, tmp_path):
    result = runner.invoke(app, ["classify", "predict", "sample:coffee", "sample:camera", "--run", str(trained), "--out", str(tmp_path / "ps")])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "ps" / "predictions.json").read_text())
    assert [r["image"] for r in rows] == ["sample:coffee", "sample:camera"] and all(len(r["top"]) == 3 for r in rows)


def test_predict_unreadable_image_names_file(runner, trained, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    result = runner.invoke(app, ["classify", "predict", str(bad), "--run", str(trained)])
    assert result.exit_code == 2 and "broken.png" in result.output and "cannot read image" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "mnist"], "unknown dataset 'mnist'; valid datasets: digits, shapes, folder:PATH"),
        (["--model", "vit"], "unknown model 'vit'; valid models:"),
        (["--batch-size", "many"], "'many' is not an integer"),
        (["--optimizer", "lion"], "--optimizer 'lion' is not valid"),
        (["--precision", "8-bit"], "--precision '8-bit' is not valid"),
        (["--set", "train.epochz=3"], "unknown config key(s) train.epochz"),
        (["--config", "missing.yaml"], "config file missing.yaml does not exist"),
        (["--data", "folder:nowhere"], "folder dataset nowhere does not exist"),
    ],
)
def test_bad_options_are_clear_and_leave_no_run(runner, tmp_path, args, message):
    result = runner.invoke(app, ["classify", "train", *args, "--no-progress"])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "runs" / "classify").exists() or not any((tmp_path / "runs" / "classify").iterdir())


def _tree(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for cls, value in (("dark", 40), ("light", 210)):
        (root / cls).mkdir(parents=True)
        for i in range(12):
            arr = np.clip(rng.normal(value, 20, (16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
    (root / "dark" / "corrupt.png").write_bytes(b"garbage")
    return root


def test_folder_with_bad_file_skips_with_warning(runner, tmp_path):
    root = _tree(tmp_path / "imgs")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["classify", "train", "--data", f"folder:{root}", "--epochs", "2", *TINY, "--out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # one plain line, no Python warning source line
    assert "skipped 1 unreadable file(s)" in said and "corrupt.png" in said and "UserWarning" not in said
    info = json.loads((tmp_path / "f" / "data.json").read_text())
    assert len(info["skipped"]) == 1 and "corrupt.png" in info["skipped"][0]
    assert sum(info["sizes"].values()) == 24
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # the user's files untouched


def test_folder_with_bad_file_and_fail_policy(runner, tmp_path):
    root = _tree(tmp_path / "imgs")
    result = runner.invoke(app, ["classify", "train", "--data", f"folder:{root}", "--on-bad-image", "fail", *TINY, "--out", str(tmp_path / "f")])
    assert result.exit_code == 2 and "corrupt.png" in result.output
    assert not (tmp_path / "f").exists()
