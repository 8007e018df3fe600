"""HTML pages from run directories: ``report.html`` of one run and a page comparing several.

Pages are Jinja2 templates (package data, autoescaped) with inline CSS, no script and no network
request; every link is relative (percent-encoded), so a moved or zipped run directory still shows.
"""

from __future__ import annotations

import csv
import os
import shlex
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from dlbox.report.catalog import spec
from dlbox.report.figures import format_value, other_metrics, summarise
from dlbox.report.runs import (
    CONFIG,
    FAILED_JSON,
    RunInfo,
    count_images,
    describe_run,
    read_config,
    read_json,
    read_metrics,
    read_run_json,
    require_run,
)

REPORT = "report.html"
CURVES = "curves.png"
SHOWN_FILES = ("metrics.json", "metrics.csv", "config.yaml", "run.json", "failed.json", "data.json", "model.json",
               "summary.txt", "summary.csv", "predictions.json", "detections.json", "anchors.json", "layers.json")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dlbox.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["url"] = url
    return env


def render(template_name: str, **context: Any) -> str:
    """``templates/<template_name>`` rendered with ``context`` (autoescaped)."""
    return _environment().get_template(template_name).render(**context)


def url(path: str | Path) -> str:
    """A relative link to ``path``: forward slashes, percent-encoded (``sample:a.png`` is no URL scheme)."""
    return quote(Path(path).as_posix(), safe="/")


def write_report(run_dir: str | Path) -> Path:
    """(Re)write ``run_dir/report.html`` from what the directory holds now; returns its path."""
    path = require_run(run_dir)
    out = path / REPORT
    html = render("run.html.j2", **report_context(path))
    _write_text(out, html)
    return out


def report_context(run_dir: Path) -> dict[str, Any]:
    """Everything ``run.html.j2`` shows of one run."""
    info = describe_run(run_dir)
    metrics, run_json = read_metrics(run_dir), read_run_json(run_dir)
    found = spec(info.task)
    images = [p for p in info.images if p.as_posix() != CURVES]
    return {
        "info": info,
        "title": f"{found.title if found else info.task}: {info.name}",
        "failure": _failure(run_dir) if info.status == "failed" else None,
        "resumable": (run_dir / "checkpoints").is_dir(),
        "curves": CURVES if (run_dir / CURVES).is_file() else None,
        "galleries": _galleries(run_dir, images),
        "other": other_metrics(metrics, info.headline),
        "last_logged": last_logged(run_dir) if info.status != "complete" else [],
        "timing": _timing(run_dir, info, metrics, run_json),
        "command": _command(run_json),
        "config": _read_text(run_dir / CONFIG),
        "files": [name for name in SHOWN_FILES if (run_dir / name).is_file()],
        "generated": datetime.now().isoformat(timespec="seconds"),
    }


def write_comparison(run_dirs: list[str | Path], out: str | Path) -> Path:
    """One page putting the runs' headline figures in one table and their curves side by side; returns ``out``."""
    if len(run_dirs) < 1:
        raise ValueError("write_comparison needs at least one run directory")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"comparison page {out} must end in .html")
    out.parent.mkdir(parents=True, exist_ok=True)
    runs = [describe_run(require_run(d)) for d in run_dirs]
    html = render("compare.html.j2", **comparison_context(runs, out.parent))
    _write_text(out, html)
    return out


def comparison_context(runs: list[RunInfo], page_dir: Path) -> dict[str, Any]:
    keys: dict[str, str] = {}
    for run in runs:
        for figure in run.headline:
            keys.setdefault(figure.key, figure.label)
    by_run = [{f.key: f for f in run.headline} for run in runs]
    configs = [_flatten(read_config(run.path)) for run in runs]
    differing = sorted(k for k in set().union(*configs) if len({repr(c.get(k)) for c in configs}) > 1
                       and k not in ("out", "name"))
    return {
        "title": "Comparison: " + " vs ".join(run.name for run in runs),
        "runs": [{"info": run,
                  "report": _relative(run.path / REPORT, page_dir) if (run.path / REPORT).is_file() else None,
                  "curves": _relative(run.path / CURVES, page_dir) if (run.path / CURVES).is_file() else None}
                 for run in runs],
        "rows": [{"key": key, "label": label, "cells": [figures.get(key) for figures in by_run]}
                 for key, label in keys.items()],
        "config_rows": [{"key": k, "cells": [summarise(c.get(k)) if k in c else "-" for c in configs]} for k in differing],
        "generated": datetime.now().isoformat(timespec="seconds"),
    }


def last_logged(run_dir: Path) -> list[tuple[str, str]]:
    """``(column, text)``: the last value each column of metrics.csv holds (what an unfinished run got to)."""
    try:
        with (run_dir / "metrics.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error):
        return []
    last: dict[str, str] = {}
    for row in rows:
        last.update({k: v for k, v in row.items() if k and v not in (None, "")})
    return [(k, _number_text(v)) for k, v in last.items()]


def _number_text(text: str) -> str:
    try:
        return format_value(float(text), "g")
    except ValueError:
        return text


def _galleries(run_dir: Path, images: list[Path]) -> list[dict[str, Any]]:
    """Images grouped by folder: the run's own first, then each subfolder (with how many it holds in all)."""
    groups: dict[str, list[Path]] = {}
    for image in images:
        groups.setdefault(image.parts[0] if len(image.parts) > 1 else "", []).append(image)
    return [{"folder": folder, "images": shown, "total": count_images(run_dir / folder) if folder else len(shown)}
            for folder, shown in groups.items()]


def _failure(run_dir: Path) -> dict[str, str]:
    failed = read_json(run_dir / FAILED_JSON)
    failed = failed if isinstance(failed, dict) else {}
    return {"type": str(failed.get("type") or "error"), "error": str(failed.get("error") or "(failed.json unreadable)"),
            "at": str(failed.get("at") or ""), "traceback": str(failed.get("traceback") or "")}


def _timing(run_dir: Path, info: RunInfo, metrics: dict[str, Any], run_json: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("started", info.started + ("" if run_json.get("started") else " (file time)") if info.started else "unknown")]
    for key in ("finished", "seconds", "host", "platform", "python", "torch", "dlbox", "pid"):
        if run_json.get(key) is not None:
            value = run_json[key]
            rows.append((key, format_value(value, "s") if key == "seconds" and isinstance(value, (int, float)) else summarise(value)))
    for key in ("train_time_s", "seconds", "stopped_by", "epochs", "steps", "world_size", "images_per_s"):
        if key in metrics and key not in run_json:
            rows.append((key, summarise(metrics[key])))
    data = read_json(run_dir / "data.json")
    if isinstance(data, dict) and data.get("dataset"):
        sizes = data.get("sizes") if isinstance(data.get("sizes"), dict) else {}
        rows.append(("dataset", ", ".join([str(data["dataset"]), *(f"{k} {summarise(v)}" for k, v in sizes.items())])))
    if not run_json:
        rows.append(("recorded", "no run.json: this run was made before dlbox recorded timing and machine"))
    return rows


def _command(run_json: dict[str, Any]) -> str | None:
    command = run_json.get("command")
    if isinstance(command, list):
        return shlex.join(str(c) for c in command)
    return str(command) if command else None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _relative(target: Path, page_dir: Path) -> str:
    return url(os.path.relpath(target.resolve(), page_dir.resolve()))


def _flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(config, dict):
        return {prefix: config} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in config.items():
        out.update(_flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def _write_text(path: Path, text: str) -> None:
    """Through a temporary file and a rename, so a reader never sees half a page."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
