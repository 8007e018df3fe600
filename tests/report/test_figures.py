"""Headline figures: lookup by dotted path, wildcard expansion, formats, the generic fallback."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.report.catalog import Metric
from dlbox.report.figures import expand, format_value, headline_of, lookup, other_metrics, summarise


def test_lookup_steps_into_dicts_and_lists():
    metrics = {"a": {"b": [1, 2, 3]}, "x.y": 4}
    assert lookup(metrics, "a.b.-1") == 3 and lookup(metrics, "a.b.0") == 1
    with pytest.raises(KeyError):
        lookup(metrics, "a.b.3")
    with pytest.raises(KeyError):
        lookup(metrics, "a.c")
    assert lookup({"final": {"momentum (alpha=0.9)": 1.5}}, "final.momentum (alpha=0.9)") == 1.5  # dots in a key


def test_wildcard_expands_every_entry_and_negative_index_is_made_positive():
    metrics = {"ms_per_image": {"batch_1": 4.0, "batch_32": 1.2}, "max_error": [0.5, 0.2, 0.1]}
    figures = expand(metrics, Metric("ms_per_image.*", "ms per image", "ms"))
    assert [(f.key, f.value, f.text) for f in figures] == [("ms_per_image.batch_1", 4.0, "4.00 ms"),
                                                            ("ms_per_image.batch_32", 1.2, "1.20 ms")]
    (last,) = expand(metrics, Metric("max_error.-1", "max error", "f4"))
    assert last.key == "max_error.2" and last.value == lookup(metrics, last.key) == 0.1


def test_task_headline_is_in_catalog_order_and_skips_absent_keys():
    figures = headline_of("detect", {"test_map50": 0.5, "test_map50_95": 0.25, "epochs": 3})
    assert [f.key for f in figures] == ["test_map50_95", "test_map50"]
    assert figures[0].text == "0.250"


def test_unknown_task_shows_every_numeric_metric():
    figures = headline_of("brand-new", {"score": 0.5, "n": 3, "name": "x", "nested": {"a": 1}, "ok": True})
    assert [(f.key, f.value) for f in figures] == [("score", 0.5), ("n", 3), ("ok", True)]


def test_formats():
    assert format_value(0.97312, "pct") == "97.31%"
    assert format_value(1234567, "int") == "1,234,567"
    assert format_value(1.5e-9, "sci") == "1.50e-09"
    assert format_value(True, "pct") == "yes"
    assert format_value(float("nan"), "f3") == "nan"
    assert format_value("cnn", "f3") == "cnn"


def test_other_metrics_leave_out_headline_keys_and_summarise_big_values():
    metrics = {"test_acc": 0.9, "confusion_matrix": [[1, 2], [3, 4]], "model": {"name": "cnn", "kwargs": {}},
               "per_class": {str(i): 0.5 for i in range(40)}, "ms": {"b1": 2.0}}
    rows = dict(other_metrics(metrics, headline_of("classify", metrics)))
    assert "test_acc" not in rows
    assert rows["confusion_matrix"] == "2 x 2 table" and rows["per_class"] == "40 entries" and rows["ms.b1"] == "2"
    assert rows["model"] == "2 entries"
    assert summarise([1, 2.5]) == "[1, 2.5]" and summarise(None) == "none"


json_scalars = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**9, 10**9), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["classify", "segment", "detect", "attack", "generate", "fundamentals", "summary", "x"]),
       st.dictionaries(st.sampled_from(["test_acc", "test_miou", "test_map50", "success_rate", "frechet_ratio",
                                        "accuracy", "total_params", "other"]), json_scalars, max_size=6),
       st.dictionaries(st.text("ab.", min_size=1, max_size=4), json_scalars, max_size=3))
def test_every_figure_value_is_the_metric_at_its_key(task, metrics, times):
    metrics = {**metrics, "ms_per_image": times, "final_loss": times}
    for figure in headline_of(task, metrics):
        value = lookup(metrics, figure.key)
        assert figure.value == value and type(figure.value) is type(value)
        assert isinstance(figure.text, str) and figure.text
        if isinstance(value, float) and not isinstance(value, bool):
            assert math.isfinite(value)
