"""The one optimizer factory and the schedules, including a resume that changes the budget and the learning rate."""

from __future__ import annotations

import pytest
import torch

from dlbox.config import OptimConfig
from dlbox.engine.optim import INPUT_OPTIMIZERS, OPTIMIZERS, SCHEDULES, adapt_to_budget, build_optimizer, build_scheduler, create_optimizer


def _params():
    return [torch.nn.Parameter(torch.ones(3))]


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) | set(INPUT_OPTIMIZERS)))
def test_every_name_builds_and_unknown_names_are_clear(name):
    assert isinstance(create_optimizer(name, _params(), 0.1), torch.optim.Optimizer)
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        create_optimizer("lion", _params(), 0.1)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("steps", [1, 2, 4, 7])
def test_every_schedule_runs_its_whole_budget_even_when_tiny(schedule, steps):
    opt = build_optimizer(_params(), OptimConfig(schedule=schedule, lr=0.1))
    sched = build_scheduler(opt, OptimConfig(schedule=schedule, lr=0.1), steps, steps_per_epoch=2)
    for _ in range(steps):
        opt.step()
        if sched is not None:
            sched.step()


def test_adapt_to_budget_extends_onecycle_and_scales_every_learning_rate():
    cfg = OptimConfig(schedule="onecycle", lr=0.1)
    opt = build_optimizer(_params(), cfg)
    sched = build_scheduler(opt, cfg, 10, 5)
    for _ in range(10):  # the old budget, used up
        opt.step()
        sched.step()
    adapt_to_budget([opt], [sched], 20, lr_scale=0.5)
    peaks = []
    for _ in range(10):  # ten more steps now fit, at half the learning rates
        opt.step()
        sched.step()
        peaks.append(opt.param_groups[0]["lr"])
    assert opt.param_groups[0]["max_lr"] == pytest.approx(0.05) and max(peaks) <= 0.05 + 1e-12


def test_optim_lr_is_the_one_learning_rate_and_groups_carry_multipliers():
    slow, fast = _params(), _params()
    opt = build_optimizer([{"params": slow, "lr_mult": 0.1}, {"params": fast}], OptimConfig(optimizer="sgd", lr=0.5))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.5])
