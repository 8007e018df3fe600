"""What a tour records of each step and run (``tour.json``, the index page): plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunResult:
    """One run of a step: its folder (relative to the tour's directory), status and seconds."""

    name: str
    command: str
    path: str  # relative to the tour's output directory
    status: str  # complete | failed | unfinished (not attempted)
    seconds: float | None = None
    reused: bool = False  # complete before this tour started
    picture: str | None = None  # the run's image the index shows (Run.picture)
    error: str | None = None  # why it failed


@dataclass
class StepResult:
    """One step: its folder, status (the first failing run's error when failed), seconds and runs."""

    step: str  # NN-slug
    slug: str
    title: str
    sections: dict[str, str | None]
    status: str  # complete | failed
    seconds: float
    runs: list[RunResult] = field(default_factory=list)
    skipped: bool = False  # every run was complete already
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None
