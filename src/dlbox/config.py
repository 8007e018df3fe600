"""Typed run configuration: dataclasses, YAML files and ``key.path=value`` overrides.

Every command builds one config object, applies a YAML file (``--config``) and
then command-line overrides, and saves the resolved result as ``config.yaml``
in its run directory. Unknown keys are errors that list the valid ones, so a
typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import re
import types

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value or key that is not valid; the message says what would be."""


@dataclass
class DataConfig:
    """Where images come from and how they are split."""

    name: str = "digits"  # digits | shapes | folder:PATH (see dlbox.data.list_datasets)
    image_size: int | None = None  # resize to a square side; None: native (folders: median of the headers, capped at 128 px)
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    split_seed: int = 0
    on_bad_image: str = "skip"  # skip | fail
    train_per_class: int | None = None  # keep only N training images per class (few-label runs)
    num_samples: int = 3000  # generated datasets (shapes): total scenes
    shapes: list[str] = field(default_factory=lambda: ["circle", "square", "triangle"])
    grayscale: bool = False  # folder datasets: convert to one channel
    in_memory_limit_mb: int = 1024  # folder datasets larger than this stream through workers
    num_workers: int = 2
    augment: bool = False  # random flips and small shifts on training batches


@dataclass
class ModelConfig:
    name: str = "cnn"
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    optimizer: str = "adam"  # sgd | momentum | nesterov | adam | adamw
    lr: float = 3e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "onecycle"  # none | cosine | step | onecycle
    step_size: int = 10  # epochs between decays (step schedule)
    gamma: float = 0.1
    backbone_lr_mult: float = 1.0  # fine-tuning from --init: lr of the backbone (`features`) = lr * this


@dataclass
class TrainConfig:
    epochs: int = 10
    max_steps: int | None = None
    max_time: float | None = None  # seconds of training before a clean stop; onecycle/cosine schedules are fitted to end then
    batch_size: int | str = 64  # an integer, or "full" for full-batch gradient descent
    eval_batch_size: int = 512
    seed: int = 0
    deterministic: bool = False
    patience: int | None = None  # early stopping: epochs without improvement of `monitor`
    monitor: str = "val_acc"
    ema: bool = False
    ema_decay: float = 0.999
    ema_warmup: bool = False  # decay min(ema_decay, (1 + n) / (10 + n)) after n updates (dlbox.engine.ema)
    grad_clip: float | None = None
    nan_policy: str = "stop"  # stop: end the run naming the step; the last good checkpoint is kept
    log_every: int = 50  # steps between metric log rows
    progress: bool = True


@dataclass
class FabricConfig:
    accelerator: str = "auto"
    devices: int | str = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"  # 32-true | bf16-mixed | 16-mixed | ... | auto (bf16 + channels-last where the CPU runs bf16 natively)
    compile: bool = False
    channels_last: bool = False


@dataclass
class TrainRunConfig:
    """The sections every training command composes: one vocabulary across ``classify``, ``segment``, ...

    A task's config adds its own section (``classify``, ``segment``, ...) to these; a field that the task
    does not use is listed in its recipe and setting it is an error naming the field and the command.
    """

    name: str | None = None  # run name under runs/<task>/
    out: str | None = None  # explicit run directory
    init: str | None = None  # the run this training starts from (RUN_DIR; classify also torchvision:NAME)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    fabric: FabricConfig = field(default_factory=FabricConfig)


# --------------------------------------------------------------------------- conversion


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict of a config dataclass (YAML-safe)."""
    return dataclasses.asdict(cfg)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "") -> T:
    """Build ``cls`` from a nested dict, recursing into nested dataclasses.

    Unknown keys raise :class:`ConfigError` listing the valid keys.
    """
    data = dict(data or {})
    hints = _field_types(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(where + k for k in unknown)}; valid keys: {', '.join(where + n for n in names)}")
    kwargs = {}
    for name in names:
        if name not in data:
            continue
        tp, value = hints[name], data[name]
        if _is_dataclass_type(tp):
            if not isinstance(value, dict):
                raise ConfigError(f"config key {where + name} must be a mapping, got {value!r}")
            value = from_dict(tp, value, where=f"{where}{name}.")
        else:
            value = _coerce(value, tp, where + name)
        kwargs[name] = value
    return cls(**kwargs)


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the field type; numbers written as text (YAML 1.1 reads ``1e-3`` as a string) become numbers."""
    options = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    if value is None:
        if type(None) in options:
            return None
        raise ConfigError(f"config key {key} may not be empty")
    for option in options:
        origin = typing.get_origin(option) or option
        if origin is Any:
            return value
        if origin is bool and isinstance(value, bool):
            return value
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if origin is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if origin is str and isinstance(value, str):
            return value
        if origin in (list, tuple) and isinstance(value, (list, tuple)):
            return list(value)
        if origin is dict and isinstance(value, dict):
            return value
    if isinstance(value, str):  # a number YAML left as text, e.g. "1e-3"
        for option in options:
            if option in (int, float):
                try:
                    return option(value)
                except ValueError:
                    continue
    names = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise ConfigError(f"config key {key} must be {names}, got {value!r}")


def merge(cfg: T, data: dict[str, Any]) -> T:
    """Return ``cfg`` with the nested values of ``data`` laid over it."""
    base = to_dict(cfg)
    _deep_update(base, data)
    return from_dict(type(cfg), base)


def _deep_update(base: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key != "kwargs":
            _deep_update(base[key], value)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value


class _Loader(yaml.SafeLoader):
    """YAML 1.2-style numbers: ``1e-3`` is a float (PyYAML's YAML 1.1 reads it as a string)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_value(text: str) -> Any:
    """A command-line value read as YAML (``3``, ``1e-3``, ``[16, 32]``, ``true``, ``full``)."""
    try:
        return yaml.load(text, Loader=_Loader) if text.strip() else None
    except yaml.YAMLError as exc:  # e.g. a !!python tag: refused by the safe loader
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"value {text!r} is not plain YAML ({first}); use numbers, strings, lists or true/false") from None


def parse_override(text: str) -> dict[str, Any]:
    """``"train.epochs=3"`` -> ``{"train": {"epochs": 3}}`` (the value is read as YAML)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like key.path=value (e.g. train.epochs=3)")
    path, raw = text.split("=", 1)
    value = read_value(raw)
    out: dict[str, Any] = {}
    node = out
    keys = path.strip().split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return out


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; a missing file or a non-mapping is a :class:`ConfigError`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist")
    try:
        data = yaml.load(p.read_text(), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {p} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping at the top level, got {type(data).__name__}")
    return data


def requested(config_file: str | Path | None = None, overrides: list[str] | None = None, **direct: Any) -> dict[str, Any]:
    """What the user asked for, nested: the YAML file, then ``key=value`` overrides, then ``direct`` CLI options."""
    data: dict[str, Any] = {}
    if config_file:
        _deep_update(data, load_yaml(config_file))
    for text in overrides or []:
        _deep_update(data, parse_override(text))
    _deep_update(data, direct)
    return data


def resolve(cfg: T, config_file: str | Path | None = None, overrides: list[str] | None = None, **direct: Any) -> T:
    """Defaults <- YAML file <- ``key=value`` overrides <- ``direct`` nested values (CLI options)."""
    return merge(cfg, requested(config_file, overrides, **direct))


def section_of(path: str | Path, key: str, cls: type[T]) -> T:
    """One section (e.g. ``data``) of a run's saved ``config.yaml``, whatever task wrote it."""
    return from_dict(cls, load_yaml(path).get(key) or {}, where=f"{key}.")


def save_yaml(cfg: Any, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(to_dict(cfg) if dataclasses.is_dataclass(cfg) else cfg, sort_keys=False))


