"""``dlbox detect eval``: a finished detect run's model on a split of its own or another dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.config import from_dict, load_yaml
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import require_run_dir, write_json
from dlbox.tasks.detect.config import DetectConfig


def evaluate_run(run: str | Path, data: str | None = None, split: str = "test", out: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The test report of :mod:`dlbox.tasks.detect.report` for ``split`` of the run's data (or ``data``)."""
    from dlbox.tasks.detect.data import load_detection
    from dlbox.tasks.detect.predict import load_detector
    from dlbox.tasks.detect.report import detection_report

    run = require_run_dir(run)
    if split not in ("train", "val", "test"):
        raise ValueError(f"--split {split!r} is not valid; use train, val or test")
    cfg = from_dict(DetectConfig, load_yaml(run / "config.yaml"))
    model = load_detector(run)
    meta = model.dlbox_meta
    if data is not None:
        cfg.data.name = data
    cfg.data.image_size = meta["input"]["size"][0]  # other data is letterboxed to the network's input
    bundle = load_detection(cfg.data, cfg.detect.on_bad_label, cfg.detect.min_objects, cfg.detect.max_objects)
    if bundle.class_names != meta["class_names"]:
        raise ValueError(f"dataset {cfg.data.name!r} has classes {bundle.class_names} but the model was trained on {meta['class_names']}")
    part = getattr(bundle, split)
    if len(part["image"]) == 0:
        raise ValueError(f"the {split} split of {cfg.data.name!r} is empty")
    with recorded_run("detect-eval", None, out) as out_dir:
        report = detection_report(model, part, bundle.class_names, cfg.detect, out_dir)
        report = {"run": str(run), "dataset": cfg.data.name, "split": split, **report}
        write_json(out_dir / "metrics.json", report)
        return out_dir, report
