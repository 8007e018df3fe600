"""Receptive field of a stack of convolution and pooling layers (notes 3.1, 3.7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dlbox.formulas.conv_arithmetic import effective_kernel_size


@dataclass(frozen=True)
class LayerGeometry:
    """Sliding-window geometry of one conv or pool layer along one axis."""

    kernel: int
    stride: int = 1
    dilation: int = 1


@dataclass(frozen=True)
class ReceptiveField:
    """``size``: input pixels seen by one output pixel; ``jump``: input pixels between adjacent outputs."""

    size: int = 1
    jump: int = 1


def grow_receptive_field(field: ReceptiveField, layer: LayerGeometry) -> ReceptiveField:
    """The receptive field after applying ``layer`` to a feature map whose receptive field is ``field``."""
    span = effective_kernel_size(layer.kernel, layer.dilation)
    # notes 3.1 (receptive field): each extra kernel tap reaches one more output of the previous
    # layer, i.e. `jump` more input pixels; strides multiply the jump (notes 3.7: dilation widens K)
    return ReceptiveField(size=field.size + (span - 1) * field.jump, jump=field.jump * layer.stride)


def receptive_fields(layers: Iterable[LayerGeometry | tuple[int, ...]]) -> list[ReceptiveField]:
    """Receptive field after each layer of a sequential stack; tuples are ``(kernel, stride, dilation)``."""
    field = ReceptiveField()
    out = []
    for layer in layers:
        field = grow_receptive_field(field, _as_geometry(layer))
        out.append(field)
    return out


def receptive_field(layers: Iterable[LayerGeometry | tuple[int, ...]]) -> int:
    """Input pixels (along one axis) that influence one output pixel of the whole stack (1 for no layers)."""
    fields = receptive_fields(layers)
    return fields[-1].size if fields else 1


def _as_geometry(layer: LayerGeometry | tuple[int, ...]) -> LayerGeometry:
    return layer if isinstance(layer, LayerGeometry) else LayerGeometry(*layer)
