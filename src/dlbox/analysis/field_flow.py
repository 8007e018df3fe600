"""Receptive fields along the data flow of a forward pass (notes 3.1, 3.7), as the summary records them.

:class:`FieldTracker` (a ``TorchFunctionMode``) gives every torch operation's output the widest
receptive field of its tensor inputs; :func:`grow_field` grows a field through a conv or pool
module with :func:`dlbox.formulas.grow_receptive_field`. A field is a ``(height, width)`` pair of
:class:`~dlbox.formulas.ReceptiveField`, :data:`GLOBAL` (the layer sees the whole input) or
``None`` (unknown).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from dlbox.formulas import LayerGeometry, ReceptiveField, grow_receptive_field

GLOBAL = "global"  # receptive field of a layer that sees the whole input (after flatten + linear, global pooling)
AxisFields = tuple[ReceptiveField, ReceptiveField]
Field = AxisFields | str | None


class FieldTracker(TorchFunctionMode):
    """Propagates receptive fields through every torch operation: output field = widest input field."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[int, Field] = {}
        self._alive: list[torch.Tensor] = []  # keeps tracked tensors alive so their ids stay unique

    def set(self, tensors: object, value: Field) -> None:
        for tensor in tensors_in(tensors):
            self.fields[id(tensor)] = value
            self._alive.append(tensor)

    def get(self, tensors: object) -> Field:
        known = [self.fields[id(t)] for t in tensors_in(tensors) if id(t) in self.fields]
        return _widest(known) if known else None

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        inputs = self.get((args, kwargs))
        if inputs is not None:
            self.set(out, inputs)
        return out


def initial_field(example: torch.Tensor) -> Field:
    """The field of an input pixel of a ``(B, C, H, W)`` example; ``None`` for other inputs."""
    # notes 3.1: an input pixel "sees" itself: receptive field 1, neighbours 1 pixel apart
    return (ReceptiveField(), ReceptiveField()) if example.dim() == 4 else None


def grow_field(module: nn.Module, field_in: Field, first: torch.Tensor | None) -> Field:
    """The field of ``module``'s output given its input's field ``field_in`` (``first``: its first input tensor)."""
    if field_in is None or field_in == GLOBAL:
        return field_in
    if isinstance(module, nn.Linear):
        return GLOBAL if first is not None and first.dim() == 2 else field_in
    geometry = _geometry(module, first)
    if geometry is None:
        return field_in
    if geometry == GLOBAL:
        return GLOBAL
    return (grow_receptive_field(field_in[0], geometry[0]), grow_receptive_field(field_in[1], geometry[1]))


def _geometry(module: nn.Module, first: torch.Tensor | None) -> tuple[LayerGeometry, LayerGeometry] | str | None:
    """Kernel/stride/dilation per axis of a 2-D sliding-window module; ``None`` for other modules."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        k, s, d = module.kernel_size, module.stride, module.dilation
        if isinstance(module, nn.ConvTranspose2d):
            s = (1, 1)  # approximation: outputs are 1/stride input pixels apart, counted as 1
        return LayerGeometry(k[0], s[0], d[0]), LayerGeometry(k[1], s[1], d[1])
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
        d = _pair(getattr(module, "dilation", 1))
        return LayerGeometry(k[0], s[0], d[0]), LayerGeometry(k[1], s[1], d[1])
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and first is not None:
        return _adaptive_geometry(tuple(first.shape[-2:]), _pair(module.output_size, tuple(first.shape[-2:])))
    return None


def _adaptive_geometry(size: tuple[int, int], out: tuple[int, int]) -> tuple[LayerGeometry, LayerGeometry] | str:
    if out == (1, 1):
        return GLOBAL
    # approximate: windows of ceil(in / out) pixels, in // out apart (exact when out divides in)
    h, w = (LayerGeometry(math.ceil(i / o), max(i // o, 1)) for i, o in zip(size, out))
    return h, w


def _widest(fields: list[Field]) -> Field:
    if GLOBAL in fields:
        return GLOBAL
    spatial = [f for f in fields if f is not None]
    if not spatial:
        return None
    return tuple(max((f[axis] for f in spatial), key=lambda r: (r.size, r.jump)) for axis in (0, 1))  # type: ignore


def field_sizes(value: Field) -> tuple[int, int] | str | None:
    """``(height, width)`` in input pixels, ``"global"`` or ``None``."""
    if value is None or value == GLOBAL:
        return value
    return (value[0].size, value[1].size)


def tensors_in(value: object) -> Iterator[torch.Tensor]:
    """Every tensor inside ``value`` (nested tuples, lists and dicts), in order."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item)


def _pair(value: int | tuple | None, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    if value is None:
        return default
    return tuple(default[i] if v is None else int(v) for i, v in enumerate(value))  # type: ignore[return-value]
