"""Model analysis: per-layer summaries cross-checked against PyTorch, and separable-convolution comparisons."""

from dlbox.analysis.separable import SeparableComparison, compare_separable, separable_comparisons
from dlbox.analysis.summary import LayerRow, Summary, summary
from dlbox.analysis.summary_run import SummaryReport, UnknownModelError, load_summary_model, summary_report

__all__ = [
    "LayerRow",
    "SeparableComparison",
    "Summary",
    "SummaryReport",
    "UnknownModelError",
    "compare_separable",
    "load_summary_model",
    "separable_comparisons",
    "summary",
    "summary_report",
]
