"""``OUT/index.html``: the notes' table of contents, each section with its step's status, headline figure and
one picture, linking to every run's ``report.html`` (relative links: the folder can be moved or zipped).

The page is ``templates/tour_index.html.j2`` of this package, extending the report pages' ``base.html.j2`` (so it
looks like them and works offline); it lists every run of a step with its status and error, and points later
sections shown by the same run back to the first. Run reports
missing from a run directory (runs made before reports existed) are written first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlbox.tour.sections import NOTES_TITLE, SECTIONS, depth
from dlbox.tour.steps import Step

if TYPE_CHECKING:
    import jinja2

    from dlbox.tour.results import StepResult

INDEX = "index.html"
REPORT = "report.html"
CURVES = "curves.png"


def write_index(out: Path, steps: Sequence[Step], dirs: Mapping[str, str], results: Mapping[str, StepResult], mode: str) -> Path:
    """(Re)write ``out/index.html`` from the steps run so far; returns its path."""
    from dlbox.engine.rundir import atomic_write_bytes

    runs = {slug: {r.name: _run_entry(out, r.path, r.command, r.status, r.picture, r.error) for r in result.runs} for slug, result in results.items()}
    by_section: dict[str, tuple[Step, str | None]] = {}
    for step in steps:
        for number, run in step.sections.items():
            by_section.setdefault(number, (step, run))
    known = {number for number, _ in SECTIONS}
    entries = [_section(number, title, by_section.get(number), dirs, results, runs) for number, title in SECTIONS]
    # steps whose sections are not in the notes' contents (never in the course's table) still show, at the end
    entries += [_section(number, step.title, (step, run), dirs, results, runs)
                for step in steps for number, run in step.sections.items() if number not in known]
    counts = {s: sum(1 for r in results.values() if r.status == s) for s in ("complete", "failed")}
    html = _environment().get_template("tour_index.html.j2").render(
        title=f"dlbox tour ({mode})", notes_title=NOTES_TITLE, mode=mode, entries=entries, counts=counts,
        pending=[dirs[s.slug] for s in steps if s.slug not in results and s.runs_for(mode)],
        generated=datetime.now().isoformat(timespec="seconds"),
    )
    path = out / INDEX
    atomic_write_bytes(path, html.encode())
    return path


def _section(number: str, title: str, found: tuple[Step, str | None] | None, dirs: Mapping[str, str],
             results: Mapping[str, StepResult], runs: Mapping[str, Mapping[str, dict[str, Any]]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"number": number, "title": title, "depth": depth(number), "step": None}
    if found is None:
        return entry
    step, run_name = found
    result = results.get(step.slug)
    entry["step"] = {"dir": dirs[step.slug], "title": step.title, "first": next(iter(step.sections)) == number,
                     "home": next(iter(step.sections)),
                     "status": result.status if result else "pending", "seconds": result.seconds if result else None,
                     "skipped": bool(result and result.skipped), "error": result.error if result else None,
                     "shown": None, "runs": [], "compact": False}
    if result is not None:
        shown = _shown(step, number, result)
        entry["step"]["shown"] = runs[step.slug].get(shown) if shown else None
        entry["step"]["runs"] = list(runs[step.slug].values())
        # a later section shown by the same run as the step's first: one line pointing there
        entry["step"]["compact"] = not entry["step"]["first"] and shown == _shown(step, entry["step"]["home"], result)
    return entry


def _shown(step: Step, number: str, result: StepResult) -> str | None:
    """The run that stands for section ``number`` of ``step``: the one the table names, else the step's first."""
    return step.sections.get(number) or (result.runs[0].name if result.runs else None)


def _run_entry(out: Path, rel: str, command: str, status: str, chosen: str | None = None, error: str | None = None) -> dict[str, Any]:
    """A run as the index shows it: links relative to ``out``, its first headline figure and its picture."""
    from dlbox.report import describe_run, is_run_dir, write_report

    entry: dict[str, Any] = {"name": Path(rel).name, "path": rel, "command": command, "status": status,
                             "report": None, "headline": None, "image": None, "problem": None, "error": error}
    run_dir = out / rel
    if not is_run_dir(run_dir):
        return entry
    try:
        if not (run_dir / REPORT).is_file():
            write_report(run_dir)
        info = describe_run(run_dir)
    except Exception as exc:  # noqa: BLE001 - one unreadable run must not cost the tour its index
        entry["problem"] = f"{type(exc).__name__}: {exc}"
        return entry
    entry["report"] = f"{rel}/{REPORT}"
    entry["headline"] = info.headline[0] if info.headline else None
    image = Path(chosen) if chosen and (run_dir / chosen).is_file() else picture(info.images)
    entry["image"] = f"{rel}/{image.as_posix()}" if image else None
    return entry


def headline_text(run_dir: Path) -> str | None:
    """``"test accuracy 99.44%"``: the run's first headline figure (None when it has none)."""
    from dlbox.report import headline, is_run_dir

    try:
        figures = headline(run_dir) if is_run_dir(run_dir) else []
    except Exception:  # noqa: BLE001 - a progress line never fails the tour
        return None
    return f"{figures[0].label} {figures[0].text}" if figures else None


def picture(images: Sequence[Path]) -> Path | None:
    """The picture that stands for a run: its first top-level figure other than the training curves, else the curves,
    else its first image in a subfolder."""
    top = [p for p in images if len(p.parts) == 1]
    for group in ([p for p in top if p.name != CURVES], top, list(images)):
        if group:
            return group[0]
    return None


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    from dlbox.report.page import url

    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("dlbox.tour", "templates"), jinja2.PackageLoader("dlbox.report", "templates")])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["url"] = url
    return env
