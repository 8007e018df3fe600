"""The one training run every dlbox training command goes through.

A task describes itself with a :class:`Recipe` of plain functions (how to load its data, build its model,
make its step, and finish: evaluate and draw). :func:`train` owns the skeleton once:

1. validate the whole config (:mod:`dlbox.engine.checks`) before anything is written;
2. build Fabric and launch the worker (one process, DDP, ``fabric run``, torchrun, SLURM);
3. load data and build the model (a bad dataset or model fails before any run directory exists);
4. rank 0 prepares the run directory; optimizers, schedules, EMA, ``torch.compile``, channels-last;
5. the loop (:func:`dlbox.engine.loop.fit`): budgets, checkpoints, resume, early stopping, logging;
6. the best weights restored (early stopping), every rank's weights fingerprinted (DDP replicas agree);
7. rank 0 writes ``model.safetensors`` + ``model.json``, ``curves.png``, the task's figures, and
   ``metrics.json`` last: a run without it is unfinished;
8. rank 0 records the run's life (:mod:`dlbox.engine.run_record`): ``run.json`` from step 4 on, then
   ``failed.json`` on an error or the finish time on success, and ``report.html`` either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
import torch.nn as nn

from dlbox.engine.run import unwrap


class Step(Protocol):
    """What a task adds to the loop: one optimisation step and a validation pass."""

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Forward, backward and optimizer step(s) for one batch; detached scalars, ``"loss"`` required."""

    def validate(self) -> dict[str, float]:
        """Metrics on the validation split, named ``val_*``."""


@dataclass
class Run:
    """Everything a task's step and finish see: the live objects of one training run."""

    fabric: Any
    cfg: Any
    bundle: Any
    model: nn.Module  # as set up by Fabric (possibly compiled)
    optimizers: dict[str, torch.optim.Optimizer]
    schedulers: dict[str, Any]
    ema: nn.Module | None
    train_loader: Any
    val_loader: Any
    batch_size: int
    run_dir: Path
    result: Any = None  # the loop's FitResult, once it has run
    extras: dict[str, Any] = field(default_factory=dict)  # what recipe.prepare built; a step may keep more for finish

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.optimizers["model"]

    @property
    def device(self) -> torch.device:
        return self.fabric.device

    @property
    def eval_model(self) -> nn.Module:
        """The weights to evaluate: the EMA average when ``train.ema``, else the trained model."""
        return self.ema.module if self.ema is not None else self.model

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.cfg.fabric.channels_last else torch.contiguous_format

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device in the configured memory format (channels-last for 4-D images when asked)."""
        x = x.to(self.device)
        return x.contiguous(memory_format=self.memory_format) if x.ndim == 4 else x

    def optimize(self, loss: torch.Tensor, name: str = "model", module: nn.Module | None = None, ema: bool = True) -> None:
        """Backward, gradient clipping (``train.grad_clip``), optimizer ``name``'s step, its schedule, the EMA update."""
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        self.fabric.backward(loss)
        if self.cfg.train.grad_clip:
            self.fabric.clip_gradients(module or self.model, optimizer, max_norm=self.cfg.train.grad_clip)
        optimizer.step()
        if self.schedulers.get(name) is not None:
            self.schedulers[name].step()
        if ema and self.ema is not None:
            self.ema.update_parameters(unwrap(self.model))

    def checkpoint_state(self) -> dict[str, Any]:
        """The objects a checkpoint holds (one optimizer keeps the plain names ``optimizer``/``scheduler``)."""
        state: dict[str, Any] = {"model": self.model}
        for name, opt in self.optimizers.items():
            key = "" if name == "model" else f"_{name}"
            state[f"optimizer{key}"] = opt
            if self.schedulers.get(name) is not None:
                state[f"scheduler{key}"] = self.schedulers[name]
        if self.ema is not None:
            state["ema"] = self.ema
        return state


@dataclass
class Recipe:
    """A training task, as data: the functions :func:`train` calls (no inheritance, no hooks to override)."""

    task: str  # the command (`dlbox TASK train`) and the run directory group runs/TASK/
    config_type: type  # the task's config dataclass (a :class:`dlbox.config.TrainRunConfig`)
    load_data: Callable[[Any], Any]  # cfg -> DataBundle (runs before the run directory exists)
    build_model: Callable[[Any, Any], nn.Module]  # (cfg, bundle) -> model
    make_step: Callable[[Run], Step]
    finish: Callable[[Run], dict[str, Any]]  # rank 0: test evaluation and pictures -> metrics.json entries
    monitors: tuple[str, ...] = ("val_loss",)  # valid train.monitor values
    prepare: Callable[[Any, Any, torch.device], dict[str, Any]] | None = None  # (cfg, bundle, device) -> run.extras:
    # what a step needs that bad input can break (e.g. a loss network), built before the run directory exists
    check: Callable[[Any], None] | None = None  # task-specific validation (raises ValueError)
    unused: tuple[str, ...] = ()  # dotted config fields this task ignores: setting one is an error
    param_groups: Callable[[Any, nn.Module], dict[str, list[Any]]] | None = None  # optimizer name -> params/groups
    model_meta: Callable[[Run], dict[str, Any]] | None = None  # extra model.json entries
    data_info: Callable[[Any, Any], dict[str, Any]] | None = None  # extra data.json entries (cfg, bundle)
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # an older config.yaml in today's keys
    curves: tuple[tuple[str, ...], ...] | None = None  # curves.png panels (default: losses and val metrics)

    @classmethod
    def of(cls, module: str, **settings: Any) -> Recipe:
        """The recipe of the task module ``module`` (pass ``__name__``): its functions named after the fields
        (``load_data``, ``build_model``, ``make_step``, ``finish``; where it has them ``check``, ``prepare``,
        ``param_groups``, ``model_meta``, ``data_info``, ``upgrade``), plus the plain ``settings``."""
        import dataclasses
        import sys

        namespace = vars(sys.modules[module])
        found = {f.name: namespace[f.name] for f in dataclasses.fields(cls) if callable(namespace.get(f.name)) and f.name not in settings}
        return cls(**found, **settings)


def train(recipe: Recipe, cfg: Any, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train as ``cfg`` says, or continue the unfinished run ``resume``; return the complete run directory.

    When resuming, ``changes`` are the options the user gave (nested, as from the CLI); budgets, the
    learning rate and device options apply, any other changed option is refused. Without ``changes``
    they are whatever ``cfg`` sets differently from the saved config (its ``name`` and ``out`` aside).
    """
    from dlbox.engine.checks import check_config
    from dlbox.data import expected_side
    from dlbox.engine.fabric_setup import build_fabric, fast_path, launch
    from dlbox.engine.run import resume_config

    applied: dict[str, Any] = {}
    if resume is not None:
        cfg, applied = resume_config(recipe, Path(resume), cfg, changes)
    check_config(recipe, cfg)
    cfg = dataclasses.replace(cfg, fabric=fast_path(cfg.fabric, expected_side(cfg.data)))  # "auto" precision, saved as what it became
    fabric = build_fabric(cfg.fabric)
    return Path(launch(fabric, _worker, recipe, cfg, str(resume) if resume else None, applied))


def _worker(fabric: Any, recipe: Recipe, cfg: Any, resume: str | None, applied: dict[str, Any]) -> str:
    fabric.seed_everything(cfg.train.seed, verbose=False)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(cfg.train.deterministic or was_deterministic)
    try:
        return _train(fabric, recipe, cfg, resume, applied)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(fabric: Any, recipe: Recipe, cfg: Any, resume: str | None, applied: dict[str, Any]) -> str:
    from contextlib import nullcontext

    from dlbox.engine.run import prepare_run_dir
    from dlbox.engine.run_record import recorded

    # Data and model first: a bad dataset, model name or --init fails before any run directory exists.
    bundle = recipe.load_data(cfg)
    model = recipe.build_model(cfg, bundle)
    extras = recipe.prepare(cfg, bundle, fabric.device) if recipe.prepare else {}
    run_dir = prepare_run_dir(fabric, cfg, recipe.task, resume)
    # rank 0 records the outcome: failed.json (and the report) on an error; run.json's finish and the report on success
    with recorded(run_dir) if fabric.global_rank == 0 else nullcontext():
        _fit(fabric, recipe, cfg, bundle, model, extras, run_dir, resume, applied)
    fabric.barrier()
    return str(run_dir)


def _fit(fabric: Any, recipe: Recipe, cfg: Any, bundle: Any, model: nn.Module, extras: dict[str, Any], run_dir: Path,
         resume: str | None, applied: dict[str, Any]) -> None:
    """Everything after the run directory exists: optimizers, the loop, and rank 0's artifacts with metrics.json last."""
    from dlbox.data import make_loader, split_len
    from dlbox.engine.optim import adapt_to_budget, build_optimizer, build_scheduler
    from dlbox.engine.run import record_resume, resolve_batch_size, run_loop, total_steps
    from dlbox.engine.rundir import write_json

    if fabric.global_rank == 0:
        extra = recipe.data_info(cfg, bundle) if recipe.data_info else {}
        if not resume:
            write_json(run_dir / "data.json", {**bundle.info, "class_names": bundle.class_names, **extra})
        if applied:
            record_resume(run_dir, applied)

    if cfg.fabric.channels_last:
        model = model.to(memory_format=torch.channels_last)
    groups = recipe.param_groups(cfg, model) if recipe.param_groups else {"model": [p for p in model.parameters() if p.requires_grad]}
    optimizers = {name: build_optimizer(params, cfg.optim) for name, params in groups.items()}
    ema = None
    if cfg.train.ema:
        from dlbox.engine.ema import ema_model

        ema = ema_model(model, cfg.train.ema_decay, cfg.train.ema_warmup)
    if cfg.fabric.compile:
        model = torch.compile(model)
    names = list(optimizers)
    model, *set_up = fabric.setup(model, *optimizers.values())
    optimizers = dict(zip(names, set_up))
    if ema is not None:
        ema = fabric.to_device(ema)

    batch_size = resolve_batch_size(cfg.train.batch_size, split_len(bundle.train), fabric.world_size)
    train_loader = make_loader(
        bundle.train, batch_size, shuffle=True, seed=cfg.train.seed, device=fabric.device,
        rank=fabric.global_rank, world_size=fabric.world_size, num_workers=cfg.data.num_workers,
    )
    val_loader = make_loader(bundle.val, cfg.train.eval_batch_size, shuffle=False, device=fabric.device, num_workers=cfg.data.num_workers)
    steps = total_steps(cfg.train, len(train_loader))
    schedulers = {name: build_scheduler(opt, cfg.optim, steps, len(train_loader)) for name, opt in optimizers.items()}
    run = Run(fabric, cfg, bundle, model, optimizers, schedulers, ema, train_loader, val_loader, batch_size, run_dir, extras=extras)
    step = recipe.make_step(run)
    lr_scale = applied["optim.lr"][1] / applied["optim.lr"][0] if "optim.lr" in applied else 1.0

    def after_resume() -> None:  # what the user changed on --resume overrides the checkpoint's optimizer state
        adapt_to_budget(list(optimizers.values()), list(schedulers.values()), steps, lr_scale)

    def rebudget(total: int) -> None:  # train.max_time ends the run first: the schedules end when it does
        adapt_to_budget(list(optimizers.values()), list(schedulers.values()), total)

    fitted = rebudget if any(s is not None for s in schedulers.values()) else None
    run.result = run_loop(fabric, LoopTask(run, step), train_loader, cfg.train, run_dir, resume, after_resume, fitted)
    replicas = replica_fingerprints(fabric, unwrap(run.eval_model))
    if fabric.global_rank == 0:
        _finish(recipe, run, replicas, applied)


class LoopTask:
    """Adapts a task's step to the loop's Task protocol; the engine owns checkpoint state and batch sizes."""

    def __init__(self, run: Run, step: Step):
        self.run, self.step = run, step
        self.train_step, self.validate = step.train_step, step.validate

    def checkpoint_state(self) -> dict[str, Any]:
        return self.run.checkpoint_state()

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        return next(iter(batch.values())).shape[0]


def replica_fingerprints(fabric: Any, model: nn.Module) -> list[str]:
    """SHA-256 of each rank's final weights; under DDP every entry must be equal.

    A mismatch means the replicas diverged (e.g. a rank saw different data
    or skipped a gradient sync) and the run is reported as failed.
    """
    import hashlib
    import warnings

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    mine = torch.frombuffer(bytearray(digest.digest()), dtype=torch.uint8).to(fabric.device)
    with warnings.catch_warnings():  # Lightning calls a torch.distributed API that torch now deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        gathered = fabric.all_gather(mine).reshape(-1, 32) if fabric.world_size > 1 else mine.reshape(1, 32)
    prints = [bytes(row.cpu().tolist()).hex() for row in gathered]
    if len(set(prints)) > 1:
        raise RuntimeError(f"DDP replicas ended with different weights: {prints}")
    return prints


def _finish(recipe: Recipe, run: Run, replicas: list[str], applied: dict[str, Any]) -> None:
    import dataclasses

    from dlbox.engine.rundir import write_json
    from dlbox.model_io import save_model
    from dlbox.plots import plot_curves

    bundle = run.bundle
    meta = {
        "task": recipe.task,
        "class_names": bundle.class_names,
        "input": {"channels": bundle.in_channels, "size": list(bundle.image_size)},
        **(recipe.model_meta(run) if recipe.model_meta else {}),
    }
    if run.cfg.init:
        meta["init"] = str(run.cfg.init)
    save_model(run.run_dir, unwrap(run.eval_model), meta)
    plot_curves(run.result.state.history, run.run_dir / "curves.png", keys=recipe.curves)
    task_metrics = recipe.finish(run)
    last_val = {k: v for k, v in (run.result.state.history[-1] if run.result.state.history else {}).items() if k.startswith("val_")}
    metrics = {
        **task_metrics,
        **last_val,
        **run.result.as_metrics(),
        "batch_size": run.batch_size,
        "world_size": len(replicas),
        "weight_sha256_per_rank": replicas,
        "model": dataclasses.asdict(run.cfg)["model"],
    }
    if applied:
        metrics["resumed_with"] = applied
    write_json(run.run_dir / "metrics.json", metrics)  # last: its presence marks the run complete
