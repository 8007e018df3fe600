"""Batching: in-memory splits are indexed on the device; datasets stream through workers.

:class:`TensorLoader` is the fast path: the whole split already lives on the
training device and a batch is one ``index_select`` per tensor, with no
per-sample Python. The epoch's order comes from ``(seed, epoch)`` alone, so a
run resumed at an epoch boundary sees exactly the same batches. Under DDP each
rank takes its own strided shard of that permutation.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset

from dlbox.data.bundle import Split, split_len


class TensorLoader:
    def __init__(
        self,
        data: dict[str, torch.Tensor],
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.data = data
        self.n = split_len(data)
        self.batch_size = max(1, min(batch_size, self.n))
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _order(self) -> torch.Tensor:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.n, generator=g)
        else:
            order = torch.arange(self.n)
        if self.world_size > 1:  # equal shards: every rank runs the same number of steps
            per_rank = self.n // self.world_size
            order = order[self.rank : per_rank * self.world_size : self.world_size]
        device = next(iter(self.data.values())).device
        return order.to(device)

    def __len__(self) -> int:
        n = self.n // self.world_size
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        order = self._order()
        stop = len(order) - (len(order) % self.batch_size if self.drop_last else 0)
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield {k: v.index_select(0, idx) for k, v in self.data.items()}


class StreamingLoader:
    """A DataLoader whose batches arrive on ``device``; ``set_epoch`` reshuffles deterministically."""

    def __init__(self, loader: DataLoader, device: torch.device | str, seed: int):
        self.loader, self.device, self.seed = loader, torch.device(device), seed

    def set_epoch(self, epoch: int) -> None:
        sampler = self.loader.sampler
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        elif self.loader.generator is not None:
            self.loader.generator.manual_seed(self.seed * 100_003 + epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        non_blocking = self.device.type == "cuda"
        for batch in self.loader:
            yield {k: v.to(self.device, non_blocking=non_blocking) for k, v in batch.items()}


def make_loader(
    split: Split,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    device: torch.device | str = "cpu",
    rank: int = 0,
    world_size: int = 1,
    num_workers: int = 2,
    drop_last: bool = False,
) -> TensorLoader | StreamingLoader:
    """A :class:`TensorLoader` over a tensor split moved to ``device``, or a :class:`StreamingLoader` over a Dataset."""
    if isinstance(split, dict):
        on_device = {k: v.to(device) for k, v in split.items()}
        return TensorLoader(on_device, batch_size, shuffle, seed, drop_last, rank, world_size)
    assert isinstance(split, Dataset)
    sampler = None
    if world_size > 1:
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(split, world_size, rank, shuffle=shuffle, seed=seed)
    g = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        split,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=g,
        persistent_workers=num_workers > 0,
        pin_memory=torch.device(device).type == "cuda",
    )
    return StreamingLoader(loader, device, seed)
