"""Seeded, stratified train/val/test splits."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.data.splits import per_class_subset, stratified_split


def _check_partition(labels, parts):
    n = len(labels)
    all_idx = torch.cat(parts)
    assert sorted(all_idx.tolist()) == list(range(n))  # covering and disjoint
    for p in parts:
        assert p.dtype == torch.int64
        assert torch.equal(p, torch.sort(p).values)


def test_split_disjoint_covering_stratified():
    labels = torch.arange(10).repeat_interleave(torch.tensor([50, 40, 30, 20, 10, 100, 60, 70, 80, 90]))
    labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    tr, va, te = stratified_split(labels, 0.1, 0.2, seed=0)
    _check_partition(labels, [tr, va, te])
    for c in range(10):
        n_c = int((labels == c).sum())
        assert abs(int((labels[te] == c).sum()) - 0.2 * n_c) <= 0.5
        assert abs(int((labels[va] == c).sum()) - 0.1 * n_c) <= 0.5


def test_split_reproducible_and_seed_dependent():
    labels = torch.arange(5).repeat(40)
    a = stratified_split(labels, 0.2, 0.2, seed=7)
    b = stratified_split(labels, 0.2, 0.2, seed=7)
    c = stratified_split(labels, 0.2, 0.2, seed=8)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_split_does_not_touch_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    stratified_split(torch.arange(4).repeat(10), 0.1, 0.2, seed=0)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(("val", "test"), [(-0.1, 0.2), (0.1, -0.01), (1.0, 0.0), (0.0, 1.0), (0.5, 0.5), (0.7, 0.4)])
def test_fractions_validated(val, test):
    with pytest.raises(ValueError, match="fraction"):
        stratified_split(torch.arange(3).repeat(10), val, test, seed=0)


def test_zero_fractions_put_everything_in_train():
    labels = torch.arange(3).repeat(5)
    tr, va, te = stratified_split(labels, 0.0, 0.0, seed=0)
    assert len(va) == 0 and len(te) == 0 and tr.tolist() == list(range(15))


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 6), min_size=1, max_size=150),
    val=st.floats(0.0, 0.45),
    test=st.floats(0.0, 0.45),
    seed=st.integers(0, 2**31 - 1),
)
def test_split_properties(labels, val, test, seed):
    labels = torch.tensor(labels)
    parts = stratified_split(labels, val, test, seed)
    _check_partition(labels, list(parts))
    again = stratified_split(labels, val, test, seed)
    assert all(torch.equal(x, y) for x, y in zip(parts, again))
    tr, va, te = parts
    for c in torch.unique(labels).tolist():
        n_c = int((labels == c).sum())
        # Each class is split in the requested proportions, to within rounding.
        assert abs(int((labels[te] == c).sum()) - test * n_c) <= 0.5 + 1e-9
        assert abs(int((labels[va] == c).sum()) - val * n_c) <= 0.5 + 1e-9


@settings(max_examples=30, deadline=None)
@given(labels=st.lists(st.integers(0, 4), min_size=1, max_size=100), k=st.integers(1, 10), seed=st.integers(0, 1000))
def test_per_class_subset(labels, k, seed):
    labels = torch.tensor(labels)
    keep = per_class_subset(labels, k, seed)
    assert len(set(keep.tolist())) == len(keep)
    assert torch.equal(keep, per_class_subset(labels, k, seed))
    for c in torch.unique(labels).tolist():
        assert int((labels[keep] == c).sum()) == min(k, int((labels == c).sum()))
