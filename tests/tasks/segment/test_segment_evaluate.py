"""``dlbox segment eval`` (Python API): the training run's own test figures, also from an old-format config.yaml."""

from __future__ import annotations

import json

import pytest
import yaml

from dlbox.tasks.segment.evaluate import evaluate_run
from dlbox.tasks.segment.train import train


def test_eval_reproduces_the_run_metrics_from_an_old_config_file(tiny_seg_cfg, tmp_path):
    run = train(tiny_seg_cfg(tmp_path / "run", epochs=1, max_steps=2))
    metrics = json.loads((run / "metrics.json").read_text())
    data = yaml.safe_load((run / "config.yaml").read_text())
    data["seg"] = {**data.pop("segment"), "init": data.pop("init")}  # as `dlbox segment train` wrote it before
    (run / "config.yaml").write_text(yaml.safe_dump(data))
    out, report = evaluate_run(run, out=tmp_path / "ev", worst=2)
    assert report["miou"] == pytest.approx(metrics["test_miou"], abs=1e-6)
    assert report["confusion_matrix"] == metrics["confusion_matrix"]
    written = json.loads((out / "metrics.json").read_text())
    assert written["split"] == "test" and len(written["worst"]) == 2 and (out / "per_class.md").is_file()
    with pytest.raises(ValueError, match="--split 'dev' is not valid"):
        evaluate_run(run, split="dev")
