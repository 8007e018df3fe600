"""The shared loop on a toy task: budgets, NaN guard, early stopping, checkpoints, exact resume."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.config import TrainConfig
from dlbox.data.loader import TensorLoader
from dlbox.engine.loop import NonFiniteLossError, fit


@pytest.fixture(scope="module")
def fabric():
    from lightning_fabric import Fabric

    f = Fabric(accelerator="cpu", devices=1)
    f.launch()
    return f


class ToyTask:
    """Linear regression y = x w*; optionally a NaN loss from step ``nan_at`` on; validation loss scripted or real."""

    def __init__(self, fabric, nan_at: int | None = None, val_losses: list[float] | None = None):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
        self.model, self.optimizer = fabric.setup(model, opt)
        self.fabric, self.nan_at, self.calls = fabric, nan_at, 0
        self.val_losses = list(val_losses) if val_losses else None

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.calls += 1
        self.model.train()
        loss = F.mse_loss(self.model(batch["x"]), batch["y"])
        self.optimizer.zero_grad()
        self.fabric.backward(loss)
        self.optimizer.step()
        if self.nan_at is not None and self.calls >= self.nan_at:
            loss = loss * float("nan")
        return {"loss": loss.detach()}

    def validate(self) -> dict[str, float]:
        if self.val_losses is not None:
            return {"val_loss": self.val_losses.pop(0)}
        return {"val_loss": 0.0}

    def checkpoint_state(self) -> dict[str, Any]:
        return {"model": self.model, "optimizer": self.optimizer}

    def batch_size(self, batch):
        return batch["x"].shape[0]


def loader(n: int = 40, batch: int = 8) -> TensorLoader:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 4, generator=g)
    return TensorLoader({"x": x, "y": x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])}, batch, shuffle=True, seed=3)


def cfg(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 3, "progress": False, "log_every": 2, "monitor": "val_loss", **kw})


def weights(task: ToyTask) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in task.model.parameters()])


def test_runs_all_epochs_and_counts_steps(fabric, tmp_path):
    task = ToyTask(fabric)
    result = fit(fabric, task, loader(), cfg(), tmp_path)
    assert result.stopped_by == "epochs"
    assert result.state.step == 15 and result.state.epoch == 3
    assert [h["epoch"] for h in result.state.history] == [1, 2, 3]  # counted from 1, as in plots
    assert (tmp_path / "last.ckpt").is_file() and (tmp_path / "best.ckpt").is_file()
    assert result.state.history[-1]["train_loss"] < result.state.history[0]["train_loss"]


def test_max_steps_budget(fabric, tmp_path):
    result = fit(fabric, ToyTask(fabric), loader(), cfg(max_steps=7), tmp_path)
    assert result.stopped_by == "max_steps" and result.state.step == 7
    assert result.state.epoch == 1 and result.state.step_in_epoch == 2  # mid-epoch, resumable


def test_max_time_budget_stops_cleanly_with_checkpoint(fabric, tmp_path):
    result = fit(fabric, ToyTask(fabric), loader(), cfg(epochs=1000, max_time=0.0), tmp_path)
    assert result.stopped_by == "max_time"
    assert result.state.step == 1  # a zero budget ends after the first step
    assert (tmp_path / "last.ckpt").is_file() and len(result.state.history) == 1


class SlowTask(ToyTask):
    """A ToyTask whose step takes ``seconds`` and steps a one-cycle schedule, as the engine's ``Run.step`` does."""

    def __init__(self, fabric, seconds: float, total: int):
        super().__init__(fabric)
        self.seconds = seconds
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=0.01, total_steps=total)
        self.lrs: list[float] = []

    def train_step(self, batch):
        import time

        time.sleep(self.seconds)
        out = super().train_step(batch)
        self.scheduler.step()  # OneCycleLR raises if stepped past its total
        self.lrs.append(self.scheduler.get_last_lr()[0])
        return out


def test_time_budget_refits_the_schedule_to_end_with_the_run(fabric, tmp_path):
    from dlbox.engine.optim import adapt_to_budget

    task = SlowTask(fabric, seconds=0.01, total=5 * 1000)  # 1,000 epochs of 5 steps planned, ~60 fit in 0.6 s
    totals: list[int] = []

    def rebudget(total: int) -> None:
        totals.append(total)
        adapt_to_budget([task.optimizer], [task.scheduler], total)

    result = fit(fabric, task, loader(), cfg(epochs=1000, max_time=0.6, log_every=5), tmp_path, rebudget=rebudget)
    assert result.stopped_by == "max_time"
    assert totals and all(10 <= t < 5000 for t in totals)  # estimated from the rate, far below the epochs' plan
    assert result.state.step == task.scheduler.last_epoch  # the loop stopped where the schedule ends, not past it
    assert task.lrs[-1] < 0.01 * 0.01  # annealed to within 1% of the peak at the end, not cut mid-cycle
    assert max(task.lrs) == pytest.approx(0.01, rel=0.05)  # and the peak was reached on the way


def test_without_a_time_budget_the_schedule_is_never_refitted(fabric, tmp_path):
    calls: list[int] = []
    fit(fabric, ToyTask(fabric), loader(), cfg(), tmp_path, rebudget=calls.append)
    assert calls == []


def test_non_finite_loss_names_step_and_keeps_last_good_checkpoint(fabric, tmp_path):
    task = ToyTask(fabric, nan_at=7)  # epoch 0 is steps 1-5 and ends finite
    with pytest.raises(NonFiniteLossError, match="at step 7") as info:
        fit(fabric, task, loader(), cfg(), tmp_path)
    assert info.value.step == 7
    saved = torch.load(tmp_path / "last.ckpt", weights_only=True)
    assert saved["loop"]["step"] == 5  # the checkpoint written after the bad step never happened


def test_early_stopping_with_patience(fabric, tmp_path):
    task = ToyTask(fabric, val_losses=[1.0, 0.5, 0.6, 0.7, 0.4, 0.3])
    result = fit(fabric, task, loader(), cfg(epochs=6, patience=1), tmp_path)
    assert result.stopped_by == "early_stopping"
    assert len(result.state.history) == 4  # best at the second epoch, then two epochs without improvement
    assert result.best == 0.5 and result.best_epoch == 2


def test_resume_mid_run_matches_uninterrupted(fabric, tmp_path):
    full = ToyTask(fabric)
    fit(fabric, full, loader(), cfg(epochs=4), tmp_path / "a")

    torch.manual_seed(123)  # a different RNG state before the first part must not matter after resume
    first = ToyTask(fabric)
    fit(fabric, first, loader(), cfg(epochs=4, max_steps=8), tmp_path / "b")  # stops mid-epoch 1
    torch.manual_seed(999)
    resumed = ToyTask(fabric)
    result = fit(fabric, resumed, loader(), cfg(epochs=4), tmp_path / "b", resume_from=tmp_path / "b" / "last.ckpt")
    assert result.state.step == 20
    torch.testing.assert_close(weights(resumed), weights(full), rtol=0, atol=0)
