"""The classification report against torchmetrics (the oracle) on random predictions, empty classes included."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchmetrics.functional.classification import multiclass_confusion_matrix, multiclass_precision, multiclass_recall

from dlbox.tasks.classify.metrics import classification_report


@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 7), n=st.integers(1, 60), seed=st.integers(0, 10_000))
def test_report_equals_torchmetrics(k, n, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=gen)
    labels = torch.randint(0, k, (n,), generator=gen)
    report = classification_report(logits, labels, [f"c{i}" for i in range(k)])
    preds = logits.argmax(1)
    precision = multiclass_precision(preds, labels, num_classes=k, average=None, zero_division=0)
    recall = multiclass_recall(preds, labels, num_classes=k, average=None, zero_division=0)
    assert report["confusion_matrix"] == multiclass_confusion_matrix(preds, labels, num_classes=k).tolist()
    for i in range(k):
        row = report["per_class"][f"c{i}"]
        assert abs(row["precision"] - float(precision[i])) < 1e-6 and abs(row["recall"] - float(recall[i])) < 1e-6
        assert row["support"] == int((labels == i).sum())
    assert abs(report["accuracy"] - float((preds == labels).float().mean())) < 1e-7
