"""What a run directory says about its own life: ``run.json``, ``failed.json`` and ``report.html``.

Every command that writes a run directory goes through this module, so every run has the same record:

- ``run.json`` when the directory is created: the task, the command line, when it started, on which machine
  and with which versions; on success it gains ``finished`` and ``seconds`` (the seconds of the process that
  finished it: a resumed run counts from its resume, and each resume is listed under ``resumes``);
- ``failed.json`` when the command raises an ``Exception`` after the directory exists (the error, its type,
  the traceback, when); the exception is then re-raised unchanged. ``KeyboardInterrupt`` and a killed process
  leave neither ``metrics.json`` nor ``failed.json``: the run is *unfinished*, and a training run can resume;
- ``report.html`` (:func:`dlbox.report.write_report`) after ``metrics.json`` on success and after
  ``failed.json`` on failure.

``metrics.json`` stays the one completion marker (:func:`dlbox.engine.rundir.is_complete`).

A report that cannot be written is never hidden: on success its error propagates (with a note that the run
itself is complete and how to rebuild the page), on failure it is added as a note to the command's own
error, which is what propagates; either way ``dlbox report RUN_DIR`` rebuilds the page later.

Use :func:`recorded_run` around a command's work (it creates the directory); training, whose run directory
is created on rank 0 only, calls :func:`record_start` and wraps its loop in :func:`recorded`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dlbox.engine.rundir import new_run_dir, write_json

RUN_FILE = "run.json"
FAILED_FILE = "failed.json"
REPORT_FILE = "report.html"


@contextmanager
def recorded_run(task: str, name: str | None = None, out: str | Path | None = None) -> Iterator[Path]:
    """A new run directory (:func:`~dlbox.engine.rundir.new_run_dir`) with its ``run.json``; the body's outcome
    is recorded as :func:`recorded` does. The body writes ``metrics.json`` last, as every command does."""
    run_dir = new_run_dir(task, name, out)
    record_start(run_dir, task)
    with recorded(run_dir):
        yield run_dir


@contextmanager
def recorded(run_dir: Path) -> Iterator[Path]:
    """Record the outcome of the body for ``run_dir`` (whose ``run.json`` exists): on an ``Exception``
    ``failed.json`` and the report, then the exception is re-raised; on success ``finished`` and the report."""
    t0 = time.perf_counter()
    try:
        yield run_dir
    except Exception as exc:
        record_failure(run_dir, exc)
        raise
    record_success(run_dir, time.perf_counter() - t0)


def record_start(run_dir: Path, task: str) -> None:
    """Write ``run.json`` for a new run; for a resumed one (``run.json`` exists) append this start to its
    ``resumes`` and drop the earlier attempt's ``failed.json`` (the run is running again, not failed)."""
    path = run_dir / RUN_FILE
    if path.is_file():
        record = _read(path)
        record.pop("finished", None)
        record.pop("seconds", None)
        record.setdefault("resumes", []).append({"at": now(), "command": command_line(), "pid": os.getpid()})
        (run_dir / FAILED_FILE).unlink(missing_ok=True)
    else:
        record = {"task": task, "command": command_line(), "started": now(), "host": platform.node(),
                  "platform": platform.platform(), "python": platform.python_version(), "torch": _version("torch"),
                  "dlbox": _version("dlbox"), "pid": os.getpid()}
    write_json(path, record)


def record_success(run_dir: Path, seconds: float) -> None:
    """``run.json`` gains ``finished`` and ``seconds``; then ``report.html`` (its errors propagate, see the module)."""
    path = run_dir / RUN_FILE
    record = _read(path) if path.is_file() else {}
    write_json(path, {**record, "finished": now(), "seconds": round(seconds, 3)})
    try:
        _write_report(run_dir)
    except Exception as exc:
        exc.add_note(f"the run itself is complete ({run_dir / 'metrics.json'}); rebuild its page with `dlbox report {run_dir}`")
        raise


def record_failure(run_dir: Path, exc: BaseException) -> None:
    """``failed.json`` for ``exc``, then ``report.html``; a report error becomes a note on ``exc`` (the caller re-raises it)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    write_json(run_dir / FAILED_FILE, {"error": str(exc), "type": type(exc).__name__, "traceback": tb, "at": now()})
    try:
        _write_report(run_dir)
    except Exception as report_exc:  # noqa: BLE001 - the command's own error is the one to show
        exc.add_note(f"the report of {run_dir} could not be written either ({type(report_exc).__name__}: {report_exc}); "
                     f"`dlbox report {run_dir}` retries")


def command_line() -> list[str]:
    """``sys.argv`` with the program shortened to ``dlbox`` when this is the ``dlbox`` command (or ``python -m
    dlbox.cli.main``); otherwise ``["python-api", "dlbox.MODULE.FUNCTION"]``: the outermost dlbox function called
    (or the function that used this module directly)."""
    argv = list(sys.argv)
    program = Path(argv[0]).as_posix() if argv else ""
    if Path(program).name == "dlbox" or program.endswith(("dlbox/cli/main.py", "dlbox/__main__.py")):
        return ["dlbox", *argv[1:]]
    return ["python-api", _outermost_dlbox_call()]


def now() -> str:
    """Local time, ISO-8601 to the second, with the UTC offset."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _outermost_dlbox_call() -> str:
    """``module.function`` of the outermost dlbox function on the stack, else of whoever called this module."""
    frame, caller, found = sys._getframe(1), None, None
    while frame is not None:
        module, name = frame.f_globals.get("__name__", ""), frame.f_code.co_name
        if module not in (__name__, "contextlib") and not name.startswith("<"):
            caller = caller or f"{module}.{name}"
            if module.startswith("dlbox."):
                found = f"{module}.{name}"
        frame = frame.f_back
    return found or caller or "unknown"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    module = sys.modules.get(package)
    if module is not None and isinstance(getattr(module, "__version__", None), str):
        return module.__version__
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):  # a damaged record is replaced, never a reason to fail the run
        return {}
    return data if isinstance(data, dict) else {}


def _write_report(run_dir: Path) -> None:
    from dlbox.report import write_report

    write_report(run_dir)
