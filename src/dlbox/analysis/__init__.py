"""Model analysis: per-layer summaries cross-checked against PyTorch."""

from dlbox.analysis.summary import LayerRow, SeparableComparison, Summary, compare_separable, summary

__all__ = ["LayerRow", "SeparableComparison", "Summary", "compare_separable", "summary"]
