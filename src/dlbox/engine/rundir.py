"""Run directories: one per command invocation, never overwriting an earlier run.

A run is complete exactly when ``metrics.json`` exists: it is written last,
atomically, and only on success. Everything a failed or killed run leaves
behind is therefore recognisably incomplete. What a run records about its own
life (``run.json``, ``failed.json``, ``report.html``) is :mod:`dlbox.engine.run_record`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

RUNS_ROOT = Path("runs")
METRICS_FILE = "metrics.json"


class RunDirError(ValueError):
    """A run directory that cannot be created or used."""


def new_run_dir(task: str, name: str | None = None, out: str | Path | None = None, root: str | Path | None = None) -> Path:
    """Create and return a fresh run directory.

    ``out`` is used as given and must not already hold files. Otherwise the
    directory is ``<root>/<task>/<name>``; without a name, or when that name is
    taken, a numeric suffix is added (``run-001``, ``name-002``...).
    """
    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RunDirError(f"--out {path} already exists and is not empty; choose a new directory (or --resume it)")
        path.mkdir(parents=True, exist_ok=True)
        return path
    base = Path(root) if root is not None else RUNS_ROOT
    parent = base / task
    parent.mkdir(parents=True, exist_ok=True)
    stem = name or "run"
    if name and not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise RunDirError(f"run name {name!r} may contain only letters, digits, '.', '_' and '-'")
    candidates = ([parent / name] if name else []) + [parent / f"{stem}-{i:03d}" for i in range(1, 100_000)]
    for path in candidates:
        try:
            path.mkdir()  # atomic: two concurrent runs never get the same directory
            return path
        except FileExistsError:
            continue
    raise RunDirError(f"no free run directory under {parent}")  # pragma: no cover


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide results from other users
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, default=_json_default) + "\n").encode())


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def is_complete(run_dir: str | Path) -> bool:
    return (Path(run_dir) / METRICS_FILE).is_file()


def require_run_dir(run_dir: str | Path, need: tuple[str, ...] = ("model.json", "model.safetensors")) -> Path:
    """A finished run directory holding ``need``; otherwise a clear error."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunDirError(f"run directory {path} does not exist")
    missing = [n for n in need if not (path / n).is_file()]
    if missing:
        state = "" if is_complete(path) else " (the run did not finish: no metrics.json)"
        raise RunDirError(f"run directory {path} has no {', '.join(missing)}{state}")
    return path
