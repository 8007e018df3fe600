"""``dlbox tour``: the course end to end, one step per section of the notes that has a command.

- :mod:`dlbox.tour.course`: the table of steps (data) and their quick / full budgets.
- :mod:`dlbox.tour.steps`: the table's vocabulary (Step, Run, Ref) and its checks.
- :mod:`dlbox.tour.commands`: how each dlbox command is called in-process.
- :mod:`dlbox.tour.inputs`: images the tour writes for predict commands.
- :mod:`dlbox.tour.runner`: ``run_tour`` (resumable; failures recorded, the tour goes on).
- :mod:`dlbox.tour.index`: ``index.html``, the notes' contents with each section's result.
"""

from __future__ import annotations

from dlbox.tour.runner import run_tour

__all__ = ["run_tour"]
