"""Run directories as the report sees them: status, task, start time, headline, images; and finding them.

Works on directories written before ``run.json``/``failed.json`` existed: the task is then read from the
parent folder under ``runs/`` (when it names a known task), else guessed from ``config.yaml`` and
``metrics.json``; the start time is ``config.yaml``'s (else ``metrics.json``'s) modification time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from dlbox.report.catalog import KNOWN_TASKS, section_for, study_of
from dlbox.report.figures import Figure, headline_of

Status = Literal["complete", "unfinished", "failed"]

METRICS = "metrics.json"
RUN_JSON = "run.json"
FAILED_JSON = "failed.json"
CONFIG = "config.yaml"
SUMMARY = "summary.json"  # `dlbox summary` runs made before they wrote metrics.json end with this file
MARKERS = (RUN_JSON, CONFIG, METRICS, FAILED_JSON, SUMMARY)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
SKIP_DIRS = ("checkpoints", "tensorboard", "__pycache__")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class RunInfo:
    """What a run directory holds, for tables and pages. ``images`` are relative to ``path``."""

    path: Path
    task: str
    name: str
    started: str | None
    status: Status
    headline: list[Figure] = field(default_factory=list)
    section: str | None = None
    images: list[Path] = field(default_factory=list)


def is_run_dir(path: str | Path) -> bool:
    """A directory holding any file a dlbox run writes (run.json, config.yaml, metrics.json, failed.json)."""
    path = Path(path)
    return path.is_dir() and any((path / name).is_file() for name in MARKERS)


def require_run(run_dir: str | Path) -> Path:
    """``run_dir`` as a Path when it is a run directory, else a FileNotFoundError/ValueError naming it."""
    path = Path(run_dir)
    if not path.exists():
        raise FileNotFoundError(f"run directory {path} does not exist")
    if not is_run_dir(path):
        raise ValueError(f"{path} is not a dlbox run directory: it holds none of {', '.join(MARKERS)}")
    return path


def run_status(run_dir: str | Path) -> Status:
    """``complete`` (metrics.json exists), ``failed`` (failed.json and no metrics.json), else ``unfinished``."""
    path = require_run(run_dir)
    if (path / METRICS).is_file() or _summary_only(path):
        return "complete"
    if (path / FAILED_JSON).is_file():
        return "failed"
    return "unfinished"


def read_json(path: Path) -> Any:
    """The JSON in ``path``; None when it is missing or unreadable (a half-written file of a killed run)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_config(run_dir: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load((run_dir / CONFIG).read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def read_metrics(run_dir: str | Path) -> dict[str, Any]:
    """metrics.json as a dict ({} when missing); for an old summary run, summary.json without its rows."""
    run_dir = Path(run_dir)
    metrics = read_json(run_dir / METRICS)
    if metrics is None and _summary_only(run_dir):
        summary = read_json(run_dir / SUMMARY) or {}
        metrics = {k: v for k, v in summary.items() if k != "rows"} if isinstance(summary, dict) else {}
    return metrics if isinstance(metrics, dict) else {}


def read_run_json(run_dir: str | Path) -> dict[str, Any]:
    found = read_json(Path(run_dir) / RUN_JSON)
    return found if isinstance(found, dict) else {}


def infer_task(run_dir: str | Path) -> str:
    """The run's task: run.json's, else the parent folder's name when it is a task, else guessed from its files."""
    path = Path(run_dir)
    task = read_run_json(path).get("task")
    if isinstance(task, str) and task:
        return task
    if path.resolve().parent.name in KNOWN_TASKS:
        return path.resolve().parent.name
    return (_task_from_config(read_config(path)) or _task_from_metrics(read_metrics(path), path)) or UNKNOWN


def started(run_dir: str | Path) -> str | None:
    """ISO time the run started: run.json's ``started``, else config.yaml's (or metrics.json's) modification time."""
    path = Path(run_dir)
    recorded = read_run_json(path).get("started")
    if isinstance(recorded, str):
        return recorded
    for name in (CONFIG, METRICS, SUMMARY, FAILED_JSON):
        if (path / name).is_file():
            return datetime.fromtimestamp((path / name).stat().st_mtime).isoformat(timespec="seconds")
    return None


def headline(run_dir: str | Path) -> list[Figure]:
    """The run's headline figures, the task's own first (empty while it has no metrics)."""
    path = require_run(run_dir)
    return headline_of(infer_task(path), read_metrics(path))


def describe_run(run_dir: str | Path) -> RunInfo:
    path = require_run(run_dir)
    task, metrics = infer_task(path), read_metrics(path)
    return RunInfo(path=path, task=task, name=path.name, started=started(path), status=run_status(path),
                   headline=headline_of(task, metrics), section=section_for(task, read_config(path), metrics, path.name),
                   images=list_images(path))


def find_runs(root: str | Path = ".", task: str | None = None) -> list[RunInfo]:
    """Every run directory at or below ``root`` (not looking inside runs), oldest first; only ``task``'s if given."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory to look for runs in")
    found = []
    for current, dirs, _ in os.walk(root):
        here = Path(current)
        if is_run_dir(here):
            dirs.clear()
            info = describe_run(here)
            if task is None or info.task == task:
                found.append(info)
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
    return sorted(found, key=lambda r: (r.started or "", str(r.path)))


def list_images(run_dir: Path, per_folder: int = 24) -> list[Path]:
    """Images of the run, relative to it: every one at the top, then up to ``per_folder`` of each subfolder."""
    top = sorted(p.relative_to(run_dir) for p in run_dir.iterdir() if _is_image(p))
    nested = []
    for folder in sorted(p for p in run_dir.iterdir() if p.is_dir() and p.name not in SKIP_DIRS and not p.name.startswith(".")):
        images = sorted(p for p in folder.rglob("*") if _is_image(p))
        nested += [p.relative_to(run_dir) for p in images[:per_folder]]
    return top + nested


def count_images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if _is_image(p))


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _summary_only(path: Path) -> bool:
    return not (path / METRICS).exists() and (path / SUMMARY).is_file()


_TRAINING_SECTIONS = {"classify": "classify", "transfer": "classify", "segment": "segment", "seg": "segment",
                      "detect": "detect", "generate": "generate", "style": "style", "autoencode": "autoencode"}


def _task_from_config(config: dict[str, Any]) -> str | None:
    for key, task in _TRAINING_SECTIONS.items():
        if key in config and "train" in config:
            return task
    if "method" in config and "eps" in config:
        return "attack"
    if "dream" in config:
        return "dream"
    if "gatys" in config:
        return "style-transfer"
    if "channels" in config and "layer" in config:
        return "visualize-channels"
    if "layers" in config and "optimize" in config:
        return "visualize-invert"
    return None


# (keys that must all be present, task), most specific first.
_METRIC_SIGNS = (
    (("test_acc",), "classify"), (("test_miou",), "segment"), (("test_map50",), "detect"),
    (("frechet_ratio", "best_epoch"), "generate"), (("frechet_ratio",), "generate-eval"),
    (("success_rate",), "attack"), (("map50",), "detect-eval"), (("miou",), "segment-eval"),
    (("accuracy", "confusion_matrix", "run"), "classify-eval"), (("objective_ratio",), "dream"),
    (("fraction_beating_val",), "visualize-channels"), (("style_reduction",), "style-transfer"),
    (("val_style",), "style"), (("roc_auc",), "autoencode"), (("psnr_gain",), "autoencode"),
    (("test_psnr",), "autoencode"), (("mean_iou", "k"), "detect-anchors"), (("detections", "images"), "detect-predict"),
    (("heatmap_size",), "segment-heatmap"), (("outputs", "run"), "style-apply"),
    (("sampler", "n", "run"), "generate-sample"), (("pairs", "method", "run"), "generate-interpolate"),
    (("total_params", "total_macs"), "summary"), (("layers", "input"), "layers"),
)


def _task_from_metrics(metrics: dict[str, Any], path: Path) -> str | None:
    for keys, task in _METRIC_SIGNS:
        if all(k in metrics for k in keys):
            return task
    if study_of(metrics):
        return "fundamentals"
    if (path / "predictions.json").is_file() and "images" in metrics:
        return "segment-predict" if any(path.glob("*_mask.png")) else "classify-predict"
    return None
