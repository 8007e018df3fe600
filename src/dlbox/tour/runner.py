"""``run_tour``: every step of the table in order, resumable, a failure recorded and passed over.

The tour owns its output directory ``OUT``: each step writes ``OUT/NN-slug/<run>/`` (ordinary run directories),
``OUT/inputs/`` holds the images it feeds to predict commands, ``OUT/tour.json`` the state of every step and
``OUT/index.html`` the course's table of contents with each section's result. Both are rewritten after every
step, so a killed tour leaves a readable index of what it finished.

Rerun with the same ``OUT``: a complete run (``metrics.json``) is kept, a run left unfinished or failed by an
earlier tour is removed and redone, so a step whose runs are all complete is skipped. A run that raises fails
its step (the error is recorded) and the tour goes on; a run that needs a run that did not complete (of its own
step or an earlier one) fails at once, naming that prerequisite.
"""

from __future__ import annotations

import json
import shutil
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dlbox.tour.commands import COMMANDS, Command, execute
from dlbox.tour.results import RunResult, StepResult
from dlbox.tour.steps import Ref, Run, Step, check_table, refs_in, resolve, step_dirname

TOUR_JSON = "tour.json"
INDEX = "index.html"
INPUTS = "inputs"


class PrerequisiteError(RuntimeError):
    """A run needs a run of an earlier step that did not complete."""


def run_tour(out: str | Path = "runs/tour", quick: bool = False, steps: Sequence[Step] | None = None,
             commands: Mapping[str, Command] | None = None, echo: Callable[[str], None] = print) -> Path:
    """Run the tour (``quick``: the CI budget) into ``out``; returns the path of ``index.html``.

    ``steps`` and ``commands`` default to :data:`dlbox.tour.course.STEPS` and :data:`dlbox.tour.commands.COMMANDS`.
    """
    from dlbox.tour.index import headline_text, write_index

    if steps is None:
        from dlbox.tour.course import STEPS

        steps = STEPS
    commands = COMMANDS if commands is None else commands
    check_table(steps, commands)
    mode = "quick" if quick else "full"
    out = Path(out)
    earlier = _earlier_tour(out, mode)
    out.mkdir(parents=True, exist_ok=True)
    started, t0 = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    dirs = {step.slug: step_dirname(i, step) for i, step in enumerate(steps, 1)}
    results: dict[str, StepResult] = {}
    _write_state(out, mode, started, 0.0, steps, dirs, results, finished=False)  # marks OUT as a tour's from the start
    planned = [s for s in steps if s.runs_for(mode)]
    for n, step in enumerate(planned, 1):
        result = _run_step(step, mode, out, dirs, results, commands, earlier.get(dirs[step.slug], {}))
        results[step.slug] = result
        _write_state(out, mode, started, time.perf_counter() - t0, steps, dirs, results, finished=False)
        write_index(out, steps, dirs, results, mode)
        shown = step.sections.get(next(iter(step.sections), ""), None) or (result.runs[0].name if result.runs else "")
        echo(_progress_line(n, len(planned), result, headline_text(out / result.step / shown) if result.status == "complete" else None))
    total = time.perf_counter() - t0
    _write_state(out, mode, started, total, steps, dirs, results, finished=True)
    index = write_index(out, steps, dirs, results, mode)
    failed = [r.step for r in results.values() if r.status != "complete"]
    echo(f"tour ({mode}) finished in {total:.0f} s: {len(results) - len(failed)} of {len(results)} steps complete"
         + (f"; failed: {', '.join(failed)}" if failed else ""))
    echo(f"index: {index}")
    return index


def _run_step(step: Step, mode: str, out: Path, dirs: dict[str, str], done: dict[str, StepResult],
              commands: Mapping[str, Command], before: dict[str, Any]) -> StepResult:
    """Run (or keep) each run of ``step`` in order. A failed run fails the step (its error is the step's first), and the
    runs after it still run: those that need it fail at once, naming it."""
    step_dir = out / dirs[step.slug]
    result = StepResult(dirs[step.slug], step.slug, step.title, dict(step.sections), "complete", 0.0)
    runs = step.runs_for(mode)
    result.runs = [RunResult(r.name, r.command, f"{dirs[step.slug]}/{r.name}", "unfinished", picture=r.picture) for r in runs]
    t0 = time.perf_counter()
    for run, row in zip(runs, result.runs):
        run_dir = step_dir / run.name
        if _is_complete(run_dir):
            row.status, row.reused = "complete", True
            row.seconds = _earlier_seconds(before, run.name)
            continue
        t1 = time.perf_counter()
        try:
            _discard_unfinished(run_dir)
            options = run.options_for(mode)
            _check_prerequisites(step, run, options, dirs, done, out)
            resolved = resolve(options, lambda ref: out / dirs[ref.step] / ref.run, out / INPUTS)
            step_dir.mkdir(parents=True, exist_ok=True)
            execute(commands[run.command], resolved, run_dir)
            if not _is_complete(run_dir):
                raise RuntimeError(f"`dlbox {run.command}` returned but {run_dir} holds no metrics.json")
            row.status = "complete"
        except Exception as exc:  # noqa: BLE001 - any failure of a step is recorded and the tour goes on
            row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"
            if result.status != "failed":  # the step fails with its first failure; its other runs still run
                result.status, result.error, result.error_type = "failed", f"{run.name} ({run.command}): {exc}", type(exc).__name__
                result.traceback = traceback.format_exc(limit=20)
        row.seconds = round(time.perf_counter() - t1, 2)
    result.skipped = all(r.reused for r in result.runs)
    elapsed = time.perf_counter() - t0
    result.seconds = round(before.get("seconds", elapsed) if result.skipped else elapsed, 2)
    return result


def _check_prerequisites(step: Step, run: Run, options: dict[str, Any], dirs: dict[str, str],
                         done: dict[str, StepResult], out: Path) -> None:
    for ref in refs_in(options):
        path = out / dirs[ref.step] / ref.run
        if _is_complete(path):
            continue
        owner = done.get(ref.step)
        if ref.step == step.slug:
            why = "which did not complete"
        elif owner is None:
            why = "whose step has not run"
        elif owner.status == "failed":
            why = f"whose step failed ({owner.error})"
        else:
            why = "which is not complete"
        raise PrerequisiteError(f"needs run {dirs[ref.step]}/{ref.run} (`dlbox {_command_of(ref, step, dirs, done)}`), {why}")


def _command_of(ref: Ref, step: Step, dirs: dict[str, str], done: dict[str, StepResult]) -> str:
    if ref.step == step.slug:
        return step.run_named(ref.run).command
    owner = done.get(ref.step)
    found = next((r.command for r in owner.runs if r.name == ref.run), None) if owner else None
    return found or "?"


def _is_complete(run_dir: Path) -> bool:
    from dlbox.report import is_run_dir, run_status

    return is_run_dir(run_dir) and run_status(run_dir) == "complete"


def _discard_unfinished(run_dir: Path) -> None:
    """Remove what an earlier, killed or failed tour left in this run's directory (the tour's own)."""
    if run_dir.is_symlink() or run_dir.is_file():
        run_dir.unlink()
    elif run_dir.exists():
        shutil.rmtree(run_dir)


def _earlier_tour(out: Path, mode: str) -> dict[str, dict[str, Any]]:
    """The steps of a previous tour into ``out`` by folder name; a tour of the other mode there, or a folder with
    files but no tour.json, is an error."""
    state = out / TOUR_JSON
    if not state.is_file():
        if out.is_dir() and any(out.iterdir()):  # the tour removes unfinished runs in OUT: never in someone else's folder
            raise ValueError(f"--out {out} holds files but no {TOUR_JSON}: give an empty directory or an earlier tour's")
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} is a file; give a directory")
        return {}
    try:
        data = json.loads(state.read_text())
    except ValueError:
        return {}
    if data.get("mode") not in (None, mode):
        other = "--quick" if data["mode"] == "quick" else "without --quick"
        raise ValueError(f"{out} holds a tour run {other}; rerun it the same way to resume, or choose another --out")
    return {s["step"]: s for s in data.get("steps", []) if isinstance(s, dict) and "step" in s}


def _earlier_seconds(before: dict[str, Any], name: str) -> float | None:
    return next((r.get("seconds") for r in before.get("runs", []) if r.get("name") == name), None)


def _write_state(out: Path, mode: str, started: str, seconds: float, steps: Sequence[Step], dirs: dict[str, str],
                 results: dict[str, StepResult], finished: bool) -> None:
    from dataclasses import asdict

    from dlbox.engine.rundir import write_json

    state = {
        "mode": mode, "started": started, "seconds": round(seconds, 1), "finished": finished,
        "steps": [asdict(results[s.slug]) for s in steps if s.slug in results],
        "pending": [dirs[s.slug] for s in steps if s.slug not in results and s.runs_for(mode)],
    }
    write_json(out / TOUR_JSON, state)


def _progress_line(n: int, total: int, result: StepResult, figure: str | None = None) -> str:
    status = "complete (kept from an earlier tour)" if result.skipped else result.status
    line = f"[{n:>2}/{total}] {result.step:<22} {result.seconds:7.1f} s  {status}"
    if figure:
        line += f": {figure}"
    if result.error:
        line += f": {result.error}"
    return line
