"""The one training loop every dlbox task runs.

A task supplies a :class:`Task`: a ``train_step`` that runs forward, backward
and its optimizer step(s) for one batch (a GAN's step alternates two
optimizers), a ``validate`` that returns metrics, and the objects to
checkpoint. :func:`fit` owns everything else: epochs and budgets (steps,
wall-clock), the non-finite-loss guard, validation and early stopping,
atomic last/best checkpoints, exact resumption, logging and the progress bar.

The hot loop does no host-device synchronisation per step: losses are kept as
tensors and inspected every ``log_every`` steps and at epoch ends.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from dlbox.config import TrainConfig
from dlbox.engine.checkpoint import CheckpointWriter, load_checkpoint, rng_state, set_rng_state
from dlbox.engine.early_stopping import EarlyStopping, mode_for


class Task(Protocol):
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One optimisation step; returns detached scalar tensors, ``"loss"`` required (every one is logged)."""

    def validate(self) -> dict[str, float]:
        """Metrics on the validation split (names like ``val_loss``, ``val_acc``)."""

    def checkpoint_state(self) -> dict[str, Any]:
        """Modules, optimizers, schedulers (anything with state_dict/load_state_dict) to save."""

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        """Samples in ``batch`` (for throughput)."""


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the run stops and the last good checkpoint is kept."""

    def __init__(self, step: int, value: float, checkpoint: Path | None):
        kept = f"; the last good checkpoint is {checkpoint}" if checkpoint and checkpoint.exists() else ""
        super().__init__(
            f"loss became {value} at step {step}; stopping (try a lower learning rate or --precision 32-true){kept}"
        )
        self.step = step


@dataclass
class LoopState:
    epoch: int = 0  # epoch in progress (or next to start)
    step_in_epoch: int = 0  # batches of `epoch` already trained
    step: int = 0  # optimizer steps so far
    train_time: float = 0.0  # seconds inside fit, summed over resumes
    samples: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class FitResult:
    stopped_by: str  # epochs | max_steps | max_time | early_stopping
    state: LoopState
    best: float | None
    best_epoch: int | None
    monitor: str

    @property
    def samples_per_s(self) -> float:
        return self.state.samples / self.state.train_time if self.state.train_time else 0.0

    def as_metrics(self) -> dict[str, Any]:
        """The loop's own figures for a run's ``metrics.json`` (every task reports them alike)."""
        return {
            "best_" + self.monitor: self.best,
            "best_epoch": self.best_epoch,
            "epochs": self.state.epoch,
            "steps": self.state.step,
            "stopped_by": self.stopped_by,
            "train_time_s": round(self.state.train_time, 3),
            "images_per_s": round(self.samples_per_s, 1),
        }


def fit(
    fabric: Any,
    task: Task,
    train_loader: Iterable[dict[str, torch.Tensor]],
    cfg: TrainConfig,
    ckpt_dir: Path | None = None,
    loggers: list[Any] | None = None,
    resume_from: Path | None = None,
    after_resume: Any = None,
    rebudget: Callable[[int], None] | None = None,
) -> FitResult:
    """Train ``task`` until the first of: epochs done, ``max_steps``, ``max_time``, early stopping.

    ``after_resume()`` runs once the checkpoint ``resume_from`` is loaded (e.g. a new learning rate).
    ``rebudget(total_steps)``, with ``cfg.max_time`` set, is told how many steps the run will take when the
    time budget ends it before its epochs do (re-estimated every ``log_every`` steps from this session's
    rate), so a learning-rate schedule can end when the run does; the run then stops at that step.
    """
    state = LoopState()
    stopper = EarlyStopping(cfg.monitor, cfg.patience, mode_for(cfg.monitor))
    if resume_from is not None:
        extra = load_checkpoint(fabric, resume_from, task.checkpoint_state())
        state = LoopState(**extra["loop"])
        stopper.load_state_dict(extra["early"])
        set_rng_state(extra["rng"])
        if after_resume is not None:
            after_resume()
    runner = _Runner(fabric, task, train_loader, cfg, ckpt_dir, loggers or [], state, stopper, rebudget)
    stopped_by = runner.run()
    best_epoch = None
    if stopper.best is not None:
        best_epoch = next((int(h["epoch"]) for h in state.history if h.get(cfg.monitor) == stopper.best), None)
    return FitResult(stopped_by, state, stopper.best, best_epoch, cfg.monitor)


class _Runner:
    """The loop's moving parts; kept private so ``fit`` reads as the algorithm."""

    def __init__(self, fabric, task, loader, cfg, ckpt_dir, loggers, state, stopper, rebudget=None):
        self.fabric, self.task, self.loader, self.cfg = fabric, task, loader, cfg
        self.ckpt_dir, self.loggers, self.state, self.stopper = ckpt_dir, loggers, state, stopper
        self.rebudget = rebudget if cfg.max_time is not None else None
        self.fitted: int | None = None  # the step the time budget ends the run at (None: not estimated yet)
        self.session = (state.step, state.train_time)  # where this session (a fresh run or a resume) began
        self.is_main = fabric.global_rank == 0
        self.outputs: list[dict[str, torch.Tensor]] = []  # step outputs since the last check, not yet synchronised
        self.epoch_sums: dict[str, float] = {}
        self.epoch_count = 0
        self.progress = _Progress(enabled=cfg.progress and self.is_main)
        self.writer = CheckpointWriter(fabric)

    # ----------------------------------------------------------------- budgets
    def _steps_per_epoch(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def _total_steps(self) -> int:
        total = self.cfg.epochs * self._steps_per_epoch()
        return min(total, self.cfg.max_steps) if self.cfg.max_steps else total

    def _out_of_time(self, t0: float) -> bool:
        if self.cfg.max_time is None:
            return False
        over = self.state.train_time + (time.monotonic() - t0) >= self.cfg.max_time
        if self.fabric.world_size > 1:  # every rank must stop at the same step
            over = bool(self.fabric.broadcast(over, src=0))
        return over

    def _refit(self, t0: float) -> int:
        """Re-estimate the last step within ``max_time`` and hand it to ``rebudget``; returns it.

        Steps so far plus this session's training rate (steps per second of training time, validation
        excluded as in ``max_time``) times the time left, never beyond the epochs' total. Rank 0 decides.
        """
        s = self.state
        used = s.train_time + (time.monotonic() - t0)
        step0, used0 = self.session
        rate = (s.step - step0) / max(used - used0, 1e-9)
        fitted = min(s.step + int(rate * max(self.cfg.max_time - used, 0.0)), self._total_steps())
        if self.fabric.world_size > 1:
            fitted = int(self.fabric.broadcast(fitted, src=0))
        if fitted > s.step and fitted != self.fitted:
            self.rebudget(fitted)
        self.fitted = fitted
        return fitted

    # ----------------------------------------------------------------- loop
    def run(self) -> str:
        s, cfg = self.state, self.cfg
        t0 = time.monotonic()
        stopped_by = "epochs"
        self.progress.start(self._total_steps(), s.step)
        try:
            while s.epoch < cfg.epochs:
                if hasattr(self.loader, "set_epoch"):
                    self.loader.set_epoch(s.epoch)
                batches = itertools.islice(iter(self.loader), s.step_in_epoch, None)
                stopped_by = self._train_epoch(batches, t0)
                s.train_time += time.monotonic() - t0
                t0 = time.monotonic()
                # A budget that runs out on an epoch's last batch still completes that epoch.
                epoch_done = stopped_by == "epochs" or s.step_in_epoch >= self._steps_per_epoch()
                self._end_epoch(epoch_done)
                if stopped_by != "epochs":
                    break
                if self.stopper.should_stop:
                    stopped_by = "early_stopping"
                    break
        finally:
            self.progress.stop()
            self.writer.wait()
        return stopped_by

    def _train_epoch(self, batches: Iterable[dict[str, torch.Tensor]], t0: float) -> str:
        s, cfg = self.state, self.cfg
        for batch in batches:
            self.outputs.append(self.task.train_step(batch))
            s.step += 1
            s.step_in_epoch += 1
            s.samples += self.task.batch_size(batch)
            if s.step % cfg.log_every == 0:
                self._check_and_log()
                if self.rebudget is not None:
                    self._refit(t0)
            self.progress.advance(s, t0)
            if cfg.max_steps is not None and s.step >= cfg.max_steps:
                return "max_steps"
            # The schedule was fitted to end here: stop, unless the time left now allows more steps.
            if self.fitted is not None and s.step >= self.fitted and self._refit(t0) <= s.step:
                return "max_time"
            # Under DDP the decision needs a broadcast, so it is taken every 5 steps only.
            if cfg.max_time is not None and (self.fabric.world_size == 1 or s.step % 5 == 0) and self._out_of_time(t0):
                return "max_time"
        return "epochs"

    def _check_and_log(self) -> float | None:
        """Synchronise buffered step outputs: raise on a non-finite loss, log the mean of every scalar."""
        if not self.outputs:
            return None
        keys = list(self.outputs[0])
        values = torch.stack([torch.stack([o[k].float().reshape(()) for k in keys]) for o in self.outputs]).cpu()  # (steps, keys)
        losses = values[:, keys.index("loss")]
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            first = int((~finite).nonzero()[0])
            step = self.state.step - len(self.outputs) + first + 1
            raise NonFiniteLossError(step, float(losses[first]), self._ckpt("last"))
        for k, total in zip(keys, values.sum(0).tolist()):
            self.epoch_sums[k] = self.epoch_sums.get(k, 0.0) + total
        self.epoch_count += len(self.outputs)
        self.outputs.clear()
        means = dict(zip(keys, values.mean(0).tolist()))
        self._log({f"train_{k}_step": v for k, v in means.items()}, self.state.step)
        self.progress.loss = means["loss"]
        return means["loss"]

    def _end_epoch(self, epoch_done: bool) -> None:
        s = self.state
        self._check_and_log()
        train = {f"train_{k}": v / max(1, self.epoch_count) for k, v in self.epoch_sums.items()} or {"train_loss": 0.0}
        self.epoch_sums, self.epoch_count = {}, 0
        # Epochs are counted from 1 in the history, metrics.json and plots, as people count them.
        metrics = {"epoch": s.epoch + 1, "step": s.step, **train, **self.task.validate()}
        s.history.append(metrics)
        self._log(metrics, s.step)
        improved = self.cfg.monitor in metrics and self.stopper.update(float(metrics[self.cfg.monitor]))
        if epoch_done:
            s.epoch += 1
            s.step_in_epoch = 0
        self.progress.epoch_done(metrics)
        self._save(["last", "best"] if improved else ["last"])
        for logger in self.loggers:  # on disk now: a killed run's metrics.csv has every finished epoch
            logger.save()

    # ----------------------------------------------------------------- io
    def _ckpt(self, which: str) -> Path | None:
        return self.ckpt_dir / f"{which}.ckpt" if self.ckpt_dir else None

    def _save(self, which: list[str]) -> None:
        if self.ckpt_dir is None:
            return
        state = {
            **self.task.checkpoint_state(),
            "loop": asdict(self.state),
            "early": self.stopper.state_dict(),
            "rng": rng_state(),
        }
        self.writer.save(state, [self.ckpt_dir / f"{w}.ckpt" for w in which])

    def _log(self, metrics: dict[str, float], step: int) -> None:
        if not self.is_main:
            return
        for logger in self.loggers:
            logger.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)


class _Progress:
    """On a terminal, a rich progress bar with loss and throughput, refreshed a few times a second.

    Off a terminal (a pipe, nohup, SLURM, CI), one plain line per epoch with the same figures, flushed at
    once, so a log shows progress while the run goes on and keeps it if the run is killed.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.last_update = 0.0
        self.loss: float | None = None  # the latest synchronised training loss (every log_every steps)
        self.total = 0
        self.t0 = time.monotonic()

    def start(self, total: int, completed: int) -> None:
        self.total, self.t0 = total, time.monotonic()
        if not self.enabled or not sys.stdout.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            transient=False,
            refresh_per_second=4,
        )
        self.bar.start()
        self.task_id = self.bar.add_task("train", total=total, completed=completed, info="")

    def advance(self, state: LoopState, t0: float) -> None:
        if self.bar is None:
            return
        now = time.monotonic()
        if now - self.last_update < 0.25:
            return
        self.last_update = now
        elapsed = state.train_time + (now - t0)
        rate = state.samples / elapsed if elapsed > 0 else 0.0
        loss = f"loss {self.loss:.4g}  " if self.loss is not None else ""
        self.bar.update(self.task_id, completed=state.step, description=f"epoch {state.epoch + 1}", info=f"{loss}{rate:,.0f} img/s")

    def epoch_done(self, metrics: dict[str, float]) -> None:
        shown = "  ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k not in ("epoch", "step"))
        if self.bar is not None:
            self.bar.update(self.task_id, completed=int(metrics["step"]), info=shown)
        elif self.enabled:
            elapsed = time.monotonic() - self.t0
            print(f"epoch {int(metrics['epoch'])}  step {int(metrics['step'])}/{self.total}  {shown}  ({elapsed:.1f} s)", flush=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
