"""How the tour runs each dlbox command in-process: one row per command that writes a run directory.

A row says which Python function the command's CLI calls and how its options become that function's
arguments, in one of three ways (``kind``):

``preset`` options come first, under the run's own (``autoencode denoise`` is ``autoencode.mode: denoise``).

- ``train``: a training command. ``defaults`` builds the command's default config (called with the value at
  ``defaults_arg`` in the options, e.g. ``autoencode.mode``); the options are laid over it as nested config
  sections (as ``--config``/``--set`` would) and the run directory is ``out``: ``target(cfg)``.
- ``config``: a command with a config dataclass (attack, dream, visualize, style transfer/apply):
  ``target(resolve(defaults(), **options, out=out))``.
- ``call``: a command whose CLI calls a function with keywords (studies, eval, predict, sample...):
  ``target(**options, out=out)``; ``convert`` names keywords whose dict value is turned into a dataclass first.

Targets are ``"module:function"`` strings, imported only when the command runs (the table costs nothing to import).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Command:
    """One dlbox command as the tour calls it (see the module docstring for ``kind``)."""

    target: str  # "module:function" the CLI command calls
    kind: str  # train | config | call
    defaults: str | None = None  # "module:callable" -> the default config (train, config)
    defaults_arg: str | None = None  # dotted option whose value is passed to ``defaults`` (autoencode.mode, generate.kind)
    convert: Mapping[str, str] = field(default_factory=dict)  # keyword -> "module:Dataclass" built from its dict value
    preset: Mapping[str, Any] = field(default_factory=dict)  # options every run of the command has (under the run's own)


COMMANDS: dict[str, Command] = {
    # notes 1, 2
    "fundamentals perceptron": Command("dlbox.tasks.fundamentals:run_perceptron_study", "call"),
    "fundamentals backprop": Command("dlbox.tasks.fundamentals:run_backprop_study", "call"),
    "fundamentals optimizers": Command("dlbox.tasks.fundamentals:run_optimizers_study", "call"),
    "fundamentals approximation": Command("dlbox.tasks.fundamentals:run_approximation_study", "call"),
    "fundamentals vanishing": Command("dlbox.tasks.fundamentals:run_vanishing_study", "call"),
    # notes 3.1-3.8
    "summary": Command("dlbox.analysis.summary_run:summary_report", "call"),
    "layers": Command("dlbox.tasks.visualize.layers:model_layers", "call"),
    "classify train": Command("dlbox.tasks.classify.train:train", "train", "dlbox.tasks.classify.config:ClassifyConfig"),
    "classify eval": Command("dlbox.tasks.classify.evaluate:evaluate_run", "call"),
    "classify predict": Command("dlbox.tasks.classify.predict:predict_images", "call"),
    # notes 3.9
    "visualize channels": Command("dlbox.tasks.visualize.channels:run_channels", "config", "dlbox.tasks.visualize.config:ChannelsConfig"),
    "visualize invert": Command("dlbox.tasks.visualize.invert:run_invert", "config", "dlbox.tasks.visualize.config:InvertConfig"),
    "dream": Command("dlbox.tasks.dream.run:run_dream", "config", "dlbox.tasks.dream.config:DreamRunConfig"),
    "style transfer": Command("dlbox.tasks.style.transfer:run_transfer", "config", "dlbox.tasks.style.transfer:TransferConfig"),
    "style train": Command("dlbox.tasks.style.train:train", "train", "dlbox.tasks.style.config:StyleTrainConfig"),
    "style apply": Command("dlbox.tasks.style.apply:run_apply", "config", "dlbox.tasks.style.apply:ApplyConfig"),
    # notes 3.10
    "attack": Command("dlbox.tasks.attack.run:run_attack", "config", "dlbox.tasks.attack.config:AttackConfig"),
    **{f"autoencode {mode}": Command("dlbox.tasks.autoencode.train:train", "train", "dlbox.tasks.autoencode.config:default_config",
                                     "autoencode.mode", preset={"autoencode": {"mode": mode}})
       for mode in ("train", "denoise", "anomaly", "manifold")},
    # notes 3.11
    "segment train": Command("dlbox.tasks.segment.train:train", "train", "dlbox.tasks.segment.config:SegmentConfig"),
    "segment eval": Command("dlbox.tasks.segment.evaluate:evaluate_run", "call"),
    "segment predict": Command("dlbox.tasks.segment.predict:predict_images", "call"),
    "segment heatmap": Command("dlbox.tasks.segment.heatmap:heatmap_image", "call"),
    # notes 3.12
    "detect anchors": Command("dlbox.tasks.detect.anchors:fit_dataset_anchors", "call", convert={"data": "dlbox.config:DataConfig"}),
    "detect train": Command("dlbox.tasks.detect.train:train", "train", "dlbox.tasks.detect.config:DetectConfig"),
    "detect eval": Command("dlbox.tasks.detect.evaluate:evaluate_run", "call"),
    "detect predict": Command("dlbox.tasks.detect.predict:predict_images", "call"),
    # notes 4
    "generate train": Command("dlbox.tasks.generate.train:train", "train", "dlbox.tasks.generate.config:default_config", "generate.kind"),
    "generate sample": Command("dlbox.tasks.generate.sample:sample_run", "call"),
    "generate eval": Command("dlbox.tasks.generate.evaluate:evaluate_run", "call"),
    "generate interpolate": Command("dlbox.tasks.generate.interpolate:interpolate_run", "call"),
}


def deep_merge(base: dict[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``new`` laid over it; nested mappings merge, anything else is replaced. Returns ``base``."""
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = deep_merge({}, value) if isinstance(value, Mapping) else value
    return base


def load(spec: str) -> Callable[..., Any]:
    """``"package.module:name"`` -> the object."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def dotted(options: Mapping[str, Any], path: str) -> Any:
    """``dotted({"a": {"b": 1}}, "a.b")`` -> 1 (None when absent)."""
    value: Any = options
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def execute(command: Command, options: dict[str, Any], out: Path) -> None:
    """Run ``command`` with ``options`` (references already resolved to paths) into the new run directory ``out``."""
    fn = load(command.target)
    options = deep_merge(deep_merge({}, command.preset), options)
    if command.kind == "train":
        from dlbox.config import merge

        arg = dotted(options, command.defaults_arg) if command.defaults_arg else None
        defaults = load(command.defaults)() if arg is None else load(command.defaults)(arg)  # type: ignore[arg-type]
        train = {"progress": False, **options.get("train", {})}
        fn(merge(defaults, {**options, "train": train, "out": str(out)}))
    elif command.kind == "config":
        from dlbox.config import resolve

        fn(resolve(load(command.defaults)(), None, None, **options, out=str(out)))  # type: ignore[arg-type]
    elif command.kind == "call":
        kwargs = {k: (load(command.convert[k])(**v) if k in command.convert else v) for k, v in options.items()}
        fn(**kwargs, out=out)
    else:
        raise ValueError(f"command kind {command.kind!r} is not valid; use train, config or call")
