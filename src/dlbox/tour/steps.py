"""The vocabulary of the tour's table: a :class:`Step` per section of the notes with a command, made of
:class:`Run` rows (one dlbox command each), whose options may name another run (:class:`Ref`) or images
the tour writes (:class:`~dlbox.tour.inputs.Images`).

The table itself is :data:`dlbox.tour.course.STEPS`; nothing here knows a particular command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlbox.tour.commands import deep_merge
from dlbox.tour.inputs import Images, write_images

MODES = ("quick", "full")


@dataclass(frozen=True)
class Ref:
    """The run directory of run ``run`` of step ``step`` (its slug): a prerequisite of the run that names it."""

    step: str
    run: str

    def __str__(self) -> str:
        return f"{self.step}/{self.run}"


@dataclass(frozen=True)
class Run:
    """One command of a step, in ``OUT/NN-step/<name>/``. ``options`` apply in both modes; ``quick`` and ``full``
    are laid over them (nested dicts merged) in that mode; ``modes`` lists the modes the run is part of;
    ``picture`` is the image of the run that the index shows."""

    name: str
    command: str  # a key of dlbox.tour.commands.COMMANDS
    options: Mapping[str, Any] = field(default_factory=dict)
    quick: Mapping[str, Any] = field(default_factory=dict)
    full: Mapping[str, Any] = field(default_factory=dict)
    modes: tuple[str, ...] = MODES
    picture: str | None = None  # the file (relative to the run directory) the index shows; None: its first figure

    def options_for(self, mode: str) -> dict[str, Any]:
        """The options of ``mode`` (a fresh nested dict)."""
        if mode not in MODES:
            raise ValueError(f"tour mode {mode!r} is not valid; use {' or '.join(MODES)}")
        return deep_merge(deep_merge({}, self.options), self.quick if mode == "quick" else self.full)


@dataclass(frozen=True)
class Step:
    """Sections of the notes and the runs that show them. ``sections`` maps each notes section (as numbered in
    its table of contents) to the run whose headline figure and picture stand for it (None: the first run)."""

    slug: str
    title: str
    sections: Mapping[str, str | None]
    runs: tuple[Run, ...]

    def runs_for(self, mode: str) -> list[Run]:
        return [r for r in self.runs if mode in r.modes]

    def run_named(self, name: str) -> Run:
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(f"step {self.slug} has no run {name!r}; it has {', '.join(r.name for r in self.runs)}")


def step_dirname(index: int, step: Step) -> str:
    """``07-transfer``: the step's folder under the tour's output, numbered in table order from 1."""
    return f"{index:02d}-{step.slug}"


def refs_in(value: Any) -> list[Ref]:
    """Every :class:`Ref` inside ``value`` (nested dicts, lists and tuples)."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in refs_in(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in refs_in(v)]
    return []


def resolve(value: Any, run_dir_of: Any, inputs_root: Path) -> Any:
    """``value`` with each :class:`Ref` replaced by ``str(run_dir_of(ref))`` and each :class:`Images` by its files."""
    if isinstance(value, Ref):
        return str(run_dir_of(value))
    if isinstance(value, Images):
        paths = [str(p) for p in write_images(value, inputs_root)]
        return paths[0] if value.single else paths
    if isinstance(value, Mapping):
        return {k: resolve(v, run_dir_of, inputs_root) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, run_dir_of, inputs_root) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, run_dir_of, inputs_root) for v in value)
    return value


def check_table(steps: Sequence[Step], commands: Mapping[str, Any]) -> None:
    """Unique slugs and run names, known commands, sections naming runs of their step, and every :class:`Ref`
    pointing to an earlier run that exists in every mode its run is part of (raises ValueError)."""
    seen: dict[str, Step] = {}
    for step in steps:
        if step.slug in seen:
            raise ValueError(f"tour step slug {step.slug!r} is used twice")
        names = [r.name for r in step.runs]
        if len(set(names)) != len(names):
            raise ValueError(f"tour step {step.slug}: run names {names} are not unique")
        for section, run in step.sections.items():
            if run is not None and run not in names:
                raise ValueError(f"tour step {step.slug}: section {section} shows run {run!r}, which the step lacks")
        for i, run in enumerate(step.runs):
            if run.command not in commands:
                raise ValueError(f"tour step {step.slug} run {run.name}: unknown command {run.command!r}")
            for mode in run.modes:
                for ref in refs_in(run.options_for(mode)):
                    earlier = step.runs[:i] if ref.step == step.slug else (seen[ref.step].runs if ref.step in seen else None)
                    target = next((r for r in earlier or () if r.name == ref.run), None)
                    if target is None or mode not in target.modes:
                        raise ValueError(f"tour step {step.slug} run {run.name} ({mode}) needs {ref}, which no earlier run provides")
        seen[step.slug] = step
