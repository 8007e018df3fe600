"""Headline figures: the catalog's metric keys looked up in a run's metrics, formatted for people.

A :class:`Figure` keeps the exact value (as in ``metrics.json``) beside its text, so a page can show
``97.31%`` and still carry ``0.9731...`` for a test to compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dlbox.report.catalog import Metric, spec

Scalar = float | int | str | bool


@dataclass(frozen=True)
class Figure:
    """One figure of a run. ``key`` is its dotted path in metrics.json (``ms_per_image.batch_1``)."""

    key: str
    label: str
    value: Scalar
    text: str


def is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str)) and value is not None


def lookup(metrics: Any, key: str) -> Any:
    """The value at dotted path ``key`` (ints index lists; ``-1`` is the last entry); KeyError when absent.

    A dict key may itself hold dots (``momentum (alpha=0.9)``): the longest key that matches is taken.
    """
    return _resolve(metrics, key)[0]


def _resolve(metrics: Any, key: str) -> tuple[Any, str]:
    """``(value, key with list indices made non-negative)`` at dotted path ``key``."""
    parts, node, i, canonical = key.split("."), metrics, 0, []
    while i < len(parts):
        if isinstance(node, dict):
            j = next((j for j in range(len(parts), i, -1) if ".".join(parts[i:j]) in node), None)
            if j is None:
                raise KeyError(key)
            name = ".".join(parts[i:j])
            node, i = node[name], j
            canonical.append(name)
        elif isinstance(node, list) and _is_int(parts[i]) and -len(node) <= int(parts[i]) < len(node):
            index = int(parts[i]) % len(node)
            node, i = node[index], i + 1
            canonical.append(str(index))
        else:
            raise KeyError(key)
    return node, ".".join(canonical)


def expand(metrics: dict[str, Any], metric: Metric) -> list[Figure]:
    """The figures ``metric`` names in ``metrics``: none when absent, one per dict entry for ``*`` keys."""
    if metric.key.endswith(".*"):
        prefix = metric.key[:-2]
        try:
            node = lookup(metrics, prefix)
        except KeyError:
            return []
        if not isinstance(node, dict):
            return []
        return [_figure(f"{prefix}.{k}", f"{metric.label} ({k})", v, metric.fmt) for k, v in node.items() if is_scalar(v)]
    try:
        value, key = _resolve(metrics, metric.key)
    except KeyError:
        return []
    if not is_scalar(value):
        return []
    return [_figure(key, metric.label, value, metric.fmt)]


def headline_of(task: str | None, metrics: dict[str, Any]) -> list[Figure]:
    """The task's headline figures present in ``metrics`` in catalog order; for an unknown task (or one whose
    catalog keys are all absent) every top-level numeric metric."""
    found = spec(task)
    figures = [f for m in (found.metrics if found else ()) for f in expand(metrics, m)]
    if figures:
        return figures
    return [_figure(k, k.replace("_", " "), v, "g") for k, v in metrics.items()
            if isinstance(v, (bool, int, float)) and not k.startswith("_")]


def other_metrics(metrics: dict[str, Any], shown: list[Figure], limit: int = 12) -> list[tuple[str, str]]:
    """``(key, text)`` rows for every top-level metric not already a headline figure; big values are summarised."""
    taken = {f.key for f in shown}
    rows = []
    for key, value in metrics.items():
        if key in taken:
            continue
        if isinstance(value, dict):
            inner = [(f"{key}.{k}", v) for k, v in value.items() if f"{key}.{k}" not in taken]
            if inner and len(inner) <= limit and all(is_scalar(v) or v is None for _, v in inner):
                rows += [(k, format_value(v, "g")) for k, v in inner]
                continue
            if not inner:
                continue
        rows.append((key, summarise(value, limit)))
    return rows


def summarise(value: Any, limit: int = 12) -> str:
    """A short text for any JSON value: scalars formatted, short lists in full, the rest by size."""
    if value is None:
        return "none"
    if is_scalar(value):
        return format_value(value, "g")
    if isinstance(value, list):
        if len(value) <= limit and all(is_scalar(v) for v in value):
            return "[" + ", ".join(format_value(v, "g") for v in value) + "]"
        if value and all(isinstance(v, list) for v in value):
            return f"{len(value)} x {len(value[0])} table"
        return f"list of {len(value)}"
    if isinstance(value, dict):
        return f"{len(value)} entries"
    return str(value)


def format_value(value: Scalar, fmt: str) -> str:
    """``value`` written as ``fmt`` says (see catalog.FORMATS); text and non-finite numbers as they are."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if fmt == "pct":
        return f"{100 * value:.2f}%"
    if fmt in ("f2", "f3", "f4"):
        return f"{value:.{fmt[1]}f}"
    if fmt == "int":
        return f"{round(value):,}"
    if fmt == "sci":
        return f"{value:.2e}"
    if fmt == "ms":
        return f"{value:.2f} ms"
    if fmt == "s":
        return f"{value:.3g} s"
    if fmt == "x":
        return f"{value:.3g}x"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def _figure(key: str, label: str, value: Scalar, fmt: str) -> Figure:
    return Figure(key=key, label=label, value=value, text=format_value(value, fmt))


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()
