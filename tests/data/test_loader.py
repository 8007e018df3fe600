"""Batching: TensorLoader (in-memory, on-device, order from (seed, epoch)) and make_loader."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from dlbox.data import TensorLoader, make_loader


def _data(n=23, device="cpu"):
    return {"image": torch.rand(n, 1, 2, 2).to(device), "label": torch.arange(n).to(device)}


def _epoch(loader, epoch):
    loader.set_epoch(epoch)
    return torch.cat([b["label"] for b in loader]).tolist()


def test_rows_stay_aligned_across_keys():
    data = _data()
    for batch in TensorLoader(data, 5, shuffle=True, seed=1):
        assert torch.equal(batch["image"], data["image"][batch["label"]])


def test_same_seed_and_epoch_same_order():
    a, b = TensorLoader(_data(), 4, True, seed=3), TensorLoader(_data(), 4, True, seed=3)
    assert _epoch(a, 2) == _epoch(b, 2)
    # and a fresh loader set to the same epoch reproduces it (resume at an epoch boundary)
    assert _epoch(a, 5) == _epoch(TensorLoader(_data(), 4, True, seed=3), 5)


def test_order_changes_across_epochs_and_seeds():
    loader = TensorLoader(_data(), 4, True, seed=0)
    orders = [_epoch(loader, e) for e in range(3)]
    assert len({tuple(o) for o in orders}) == 3
    assert _epoch(TensorLoader(_data(), 4, True, seed=1), 0) != orders[0]


def test_shuffle_false_is_sequential():
    assert _epoch(TensorLoader(_data(10), 3, False), 4) == list(range(10))


@pytest.mark.parametrize(("n", "bs"), [(23, 4), (24, 4), (5, 8), (1, 1)])
def test_every_sample_once_per_epoch(n, bs):
    loader = TensorLoader(_data(n), bs, True, seed=0)
    for e in range(2):
        seen = _epoch(loader, e)
        assert sorted(seen) == list(range(n))
    assert len(loader) == len(list(loader))


@pytest.mark.parametrize(("n", "world"), [(23, 2), (23, 3), (24, 4), (7, 3)])
def test_ddp_shards_disjoint_and_equal(n, world):
    shards = []
    for rank in range(world):
        loader = TensorLoader(_data(n), 3, True, seed=5, rank=rank, world_size=world)
        shards.append(_epoch(loader, 1))
        assert len(loader) == len(list(loader))
    assert len({len(s) for s in shards}) == 1  # equal length: every rank runs the same number of steps
    assert len({len(list(TensorLoader(_data(n), 3, True, 5, rank=r, world_size=world))) for r in range(world)}) == 1
    flat = [i for s in shards for i in s]
    assert len(flat) == len(set(flat))  # disjoint
    assert len(flat) >= n - world + 1  # at most world-1 samples dropped


@pytest.mark.parametrize("world", [1, 2])
def test_drop_last(world):
    n, bs = 23, 4
    loader = TensorLoader(_data(n), bs, True, seed=0, drop_last=True, world_size=world)
    batches = list(loader)
    assert all(len(b["label"]) == bs for b in batches)
    assert len(batches) == len(loader) == (n // world) // bs
    keep = TensorLoader(_data(n), bs, True, seed=0, drop_last=False, world_size=world)
    assert len(list(keep)) == len(keep) == -(-(n // world) // bs)


def test_batches_stay_on_data_device():
    # The meta device stands in for an accelerator: any batch that fell back to the CPU would show it.
    loader = make_loader(_data(10), 4, shuffle=True, seed=0, device="meta")
    assert isinstance(loader, TensorLoader)
    batches = list(loader)
    assert len(batches) == 3
    for b in batches:
        assert all(v.device.type == "meta" for v in b.values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batches_on_cuda():
    loader = make_loader(_data(10), 4, shuffle=True, seed=0, device="cuda")
    seen = []
    for b in loader:
        assert all(v.is_cuda for v in b.values())
        seen += b["label"].tolist()
    assert sorted(seen) == list(range(10))


def test_make_loader_moves_split_and_keeps_source():
    data = _data(10)
    loader = make_loader(data, 4, shuffle=False)
    assert isinstance(loader, TensorLoader)
    assert torch.cat([b["label"] for b in loader]).tolist() == list(range(10))
    assert data["label"].tolist() == list(range(10))


class _Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"image": torch.full((1, 2, 2), float(i)), "label": torch.tensor(i)}


def test_make_loader_on_dataset_gives_dataloader():
    loader = make_loader(_Squares(), 4, shuffle=True, seed=0, num_workers=0)
    assert isinstance(loader.loader, DataLoader) and len(loader) == 3
    batches = list(loader)
    assert [len(b["label"]) for b in batches] == [4, 4, 2]
    labels = torch.cat([b["label"] for b in batches])
    assert sorted(labels.tolist()) == list(range(10))
    assert torch.equal(batches[0]["image"][:, 0, 0, 0], batches[0]["label"].float())
    again = torch.cat([b["label"] for b in make_loader(_Squares(), 4, shuffle=True, seed=0, num_workers=0)])
    assert torch.equal(labels, again)  # seeded
    loader.set_epoch(1)
    epoch1 = torch.cat([b["label"] for b in loader])
    loader.set_epoch(0)
    assert not torch.equal(epoch1, labels) and torch.equal(torch.cat([b["label"] for b in loader]), labels)


def test_make_loader_on_dataset_ddp_shards():
    shards = [
        torch.cat([b["label"] for b in make_loader(_Squares(), 2, True, seed=0, rank=r, world_size=2, num_workers=0)])
        for r in range(2)
    ]
    assert len(shards[0]) == len(shards[1]) == 5
    assert set(shards[0].tolist()).isdisjoint(shards[1].tolist())
