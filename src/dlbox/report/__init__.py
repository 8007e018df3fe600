"""Seeing results: an HTML report per run directory, finding runs, comparing them.

Imports only the standard library, Jinja2 and PyYAML: reading runs needs no torch.

- :mod:`dlbox.report.catalog`: per task, the headline metrics and the notes section.
- :mod:`dlbox.report.figures`: headline figures looked up and formatted.
- :mod:`dlbox.report.runs`: status, task, start time of a run directory (also of old ones); finding runs.
- :mod:`dlbox.report.page`: ``report.html``, comparison pages, ``render`` for other pages (the tour's index).
"""

from __future__ import annotations

from dlbox.report.figures import Figure
from dlbox.report.page import render, write_comparison, write_report
from dlbox.report.runs import RunInfo, describe_run, find_runs, headline, is_run_dir, run_status

__all__ = ["Figure", "RunInfo", "describe_run", "find_runs", "headline", "is_run_dir", "render", "run_status",
           "write_comparison", "write_report"]
