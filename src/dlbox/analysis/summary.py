"""Per-layer model summary: output shape, parameters, MACs and receptive field, cross-checked by PyTorch.

Counting conventions (see :mod:`dlbox.formulas.cost`):

- MACs are per sample (the summary runs one ``1 x C x H x W`` input); ``FLOPs = 2 x MACs``.
- Convolutions (``nn.Conv1d``/``nn.Conv2d``, grouped and depthwise included), transposed 2-D
  convolutions and ``nn.Linear`` are counted with :mod:`dlbox.formulas`; bias additions are not.
- Normalization (batch norm included), activations, pooling, dropout, reshaping and
  upsampling layers count **0** MACs: they are element-wise or comparisons, not
  multiply-accumulates (``FlopCounterMode`` does not count them either).
- Any other leaf module is *not counted* (``None``, shown as ``?``) and listed as a mismatch
  together with what PyTorch counts for it (``nn.MultiheadAttention``'s fused inference path,
  for one, is counted by neither).

Cross-checks, always computed and never hidden:

- parameters: each row's formula count against ``numel`` of the module's parameters, and the
  rows' total against ``sum(p.numel() for p in model.parameters())`` (parameters held by
  non-leaf modules show up there);
- MACs: each module against ``torch.utils.flop_counter.FlopCounterMode`` (its FLOPs / 2), and
  the total against the counter's total (functional ops outside leaf modules show up there).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
from rich.table import Table
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

from dlbox.formulas import (
    ReceptiveField,
    batch_norm_params,
    conv2d_macs,
    conv2d_params,
    conv_transpose2d_macs,
    conv_transpose2d_params,
    grow_receptive_field,
    linear_macs,
    linear_params,
    LayerGeometry,
)

# Layer types with no multiply-accumulates (element-wise, comparisons or reshapes).
ZERO_MAC_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
    nn.modules.dropout._DropoutNd,
    nn.Flatten,
    nn.Unflatten,
    nn.Identity,
    nn.Upsample,
)

# Modules computed as one unit although they own sub-modules (their forward does not call them).
OPAQUE_TYPES: tuple[type[nn.Module], ...] = (nn.MultiheadAttention,)

GLOBAL = "global"  # receptive field of a layer that sees the whole input (after flatten + linear, global pooling)
AxisFields = tuple[ReceptiveField, ReceptiveField]
Field = AxisFields | str | None


@dataclass(frozen=True)
class LayerRow:
    """One call of one leaf module (or of an opaque module such as ``nn.MultiheadAttention``).

    ``params`` is the ``numel`` of the module's own parameters (0 on a repeated call of a shared
    module), ``params_formula`` the count from :mod:`dlbox.formulas` (``None``: no formula for
    the type), ``macs`` the formula MACs (``None``: type not counted), ``counter_macs`` what
    ``FlopCounterMode`` reports for the module / 2 (on the module's first row, over all its calls),
    ``receptive_field`` ``(height, width)`` in input pixels, ``"global"`` or ``None`` (unknown), and
    ``check`` what disagrees with PyTorch for this module (empty when everything agrees).
    """

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    params_formula: int | None
    macs: int | None
    counter_macs: float | None
    receptive_field: tuple[int, int] | str | None
    check: str = ""


@dataclass(frozen=True)
class Summary:
    """Rows, totals and cross-checks of :func:`summary`; ``mismatches`` lists every disagreement."""

    model: str
    input_size: tuple[int, int, int]
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    rows_params: int
    total_macs: int
    counter_macs: float
    mismatches: list[str] = field(default_factory=list)

    @property
    def total_flops(self) -> int:
        """``2 x total_macs``."""
        return 2 * self.total_macs

    def to_dict(self) -> dict:
        """Plain-data form (what :meth:`to_json` writes)."""
        data = asdict(self)
        data["total_flops"] = self.total_flops
        return data

    def to_json(self) -> str:
        """JSON with ``rows``, totals and ``mismatches``."""
        return json.dumps(self.to_dict(), indent=2)

    def to_csv(self) -> str:
        """One CSV line per row, then a ``TOTAL`` line."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["name", "type", "output_shape", "params", "params_formula", "macs", "counter_macs",
                         "receptive_field", "check"])
        for row in self.rows:
            writer.writerow([row.name, row.type, _shape_text(row.output_shape), row.params, _text(row.params_formula),
                             _text(row.macs), _text(row.counter_macs), _field_text(row.receptive_field), row.check])
        writer.writerow(["TOTAL", "", "", self.total_params, self.rows_params, self.total_macs, self.counter_macs, "",
                         "; ".join(self.mismatches)])
        return buffer.getvalue()

    def to_table(self) -> Table:
        """A rich table: one line per row, totals, and the cross-check result as caption."""
        table = Table(title=f"{self.model}  input {_shape_text(self.input_size)}", caption=self._caption())
        table.add_column("Layer", no_wrap=True, min_width=max((len(r.name) for r in self.rows), default=5))
        for column in ("Type", "Output", "Params", "MACs", "Receptive field", "Check"):
            table.add_column(column, justify="right" if column in ("Params", "MACs") else "left")
        for row in self.rows:
            table.add_row(row.name, row.type, _shape_text(row.output_shape), f"{row.params:,}",
                          _count_text(row.macs), _field_text(row.receptive_field), row.check or "ok")
        table.add_section()
        table.add_row("Total", "", "", f"{self.total_params:,}", f"{self.total_macs:,}", "", "")
        table.add_row("Trainable params", "", "", f"{self.trainable_params:,}", "", "", "")
        table.add_row("FLOPs (= 2 x MACs)", "", "", "", f"{self.total_flops:,}", "", "")
        return table

    def _caption(self) -> str:
        if not self.mismatches:
            return "cross-checks: params == sum(numel), MACs == FlopCounterMode FLOPs / 2"
        return "MISMATCHES:\n" + "\n".join(self.mismatches)


def summary(model: nn.Module, input_size: tuple[int, int, int]) -> Summary:
    """Summarize ``model`` on one input of shape ``input_size = (C, H, W)`` (``(F,)`` for vector models also works).

    Leaf modules are recorded by forward hooks in execution order. The model runs twice (once
    for the rows and receptive fields, once under ``FlopCounterMode``) in eval mode and without
    gradients; its training flags are restored afterwards.

    Receptive fields are propagated along the data flow: every torch operation gives its output
    the largest receptive field of its tensor inputs, and conv/pool modules grow it with
    :func:`dlbox.formulas.grow_receptive_field`. This is exact for chains of layers and takes the
    largest path where branches merge (residual sums, concatenations); it is approximate when
    merged branches have different strides, for adaptive pooling whose sizes do not divide, for
    transposed convolutions (their fractional stride is counted as 1) and for convolutions called
    functionally (not as modules), which do not grow the field.
    """
    example = _example_input(model, input_size)
    with _eval_mode(model), torch.no_grad():
        records = _record_calls(model, example)
        counter = _count_flops(model, example)
    rows = _rows(model, records, counter)
    return _assemble(model, tuple(input_size), rows, counter)


@dataclass(frozen=True)
class SeparableComparison:
    """A standard convolution and its depthwise-separable counterpart of the same shape (notes 3.4.1)."""

    in_channels: int
    out_channels: int
    kernel: int
    size: int
    standard_params: int
    separable_params: int
    standard_macs: int
    separable_macs: int

    @property
    def params_ratio(self) -> float:
        """Separable / standard parameters."""
        return self.separable_params / self.standard_params

    @property
    def macs_ratio(self) -> float:
        """Separable / standard MACs."""
        return self.separable_macs / self.standard_macs

    @property
    def notes_ratio(self) -> float:
        """notes 3.4.1 without biases: ``((K^2) D_in + D_in D_out) / (K^2 D_in D_out) = 1 / D_out + 1 / K^2``."""
        return 1 / self.out_channels + 1 / self.kernel**2

    def to_dict(self) -> dict:
        """Plain data, ratios included."""
        return {**asdict(self), "params_ratio": self.params_ratio, "macs_ratio": self.macs_ratio,
                "notes_ratio": self.notes_ratio}

    def to_table(self) -> Table:
        """Side-by-side rich table: parameters and MACs of both layers."""
        k, n = self.kernel, self.size
        title = f"{self.in_channels}->{self.out_channels} channels, {k}x{k} kernel, {n}x{n} output"
        table = Table(title=title, caption=f"notes 3.4.1 ratio 1/D_out + 1/K^2 = {self.notes_ratio:.4f}")
        for column in ("", "Standard", "Depthwise-separable", "Ratio"):
            table.add_column(column, justify="right")
        table.add_row("Params", f"{self.standard_params:,}", f"{self.separable_params:,}", f"{self.params_ratio:.4f}")
        table.add_row("MACs", f"{self.standard_macs:,}", f"{self.separable_macs:,}", f"{self.macs_ratio:.4f}")
        return table


def compare_separable(in_channels: int, out_channels: int, kernel: int, size: int) -> SeparableComparison:
    """Standard ``Conv2d(in, out, kernel, padding='same')`` vs depthwise ``kernel x kernel`` + pointwise 1x1.

    ``size`` is the side of the (square) input and output feature map.
    Both models are measured with :func:`summary`, so the numbers are the cross-checked ones.
    """
    standard = nn.Conv2d(in_channels, out_channels, kernel, padding="same")
    separable = nn.Sequential(
        # notes 3.4: D_in kernels k x k x 1 (depthwise) ...
        nn.Conv2d(in_channels, in_channels, kernel, padding="same", groups=in_channels),
        # ... then D_out kernels 1 x 1 x D_in (pointwise)
        nn.Conv2d(in_channels, out_channels, 1),
    )
    shape = (in_channels, size, size)
    a, b = summary(standard, shape), summary(separable, shape)
    return SeparableComparison(in_channels, out_channels, kernel, size,
                               a.total_params, b.total_params, a.total_macs, b.total_macs)


# ---------------------------------------------------------------- recording


@dataclass(frozen=True)
class _Call:
    fqn: str
    module: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    field: Field


class _FieldTracker(TorchFunctionMode):
    """Propagates receptive fields through every torch operation: output field = widest input field."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[int, Field] = {}
        self._alive: list[torch.Tensor] = []  # keeps tracked tensors alive so their ids stay unique

    def set(self, tensors: object, value: Field) -> None:
        for tensor in _tensors(tensors):
            self.fields[id(tensor)] = value
            self._alive.append(tensor)

    def get(self, tensors: object) -> Field:
        known = [self.fields[id(t)] for t in _tensors(tensors) if id(t) in self.fields]
        return _widest(known) if known else None

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        inputs = self.get((args, kwargs))
        if inputs is not None:
            self.set(out, inputs)
        return out


def _record_calls(model: nn.Module, example: torch.Tensor) -> list[_Call]:
    tracker = _FieldTracker()
    calls: list[_Call] = []
    names = {module: name for name, module in model.named_modules()}

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        first = next(_tensors(inputs), None)
        field_in = tracker.get(inputs)
        field_out = _grow(module, field_in, first)
        tracker.set(output, field_out)
        out_tensor = next(_tensors(output), None)
        calls.append(_Call(names[module], module, _batchless(first), _batchless(out_tensor), field_out))

    handles = [m.register_forward_hook(hook) for m in _leaf_modules(model)]
    try:
        with tracker:
            tracker.set(example, _initial_field(example))
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _leaf_modules(model: nn.Module) -> list[nn.Module]:
    """Modules without children, plus opaque modules (whose descendants are then skipped)."""
    opaque = [m for m in model.modules() if isinstance(m, OPAQUE_TYPES)]
    inside = {id(child) for m in opaque for child in m.modules() if child is not m}
    return [m for m in model.modules()
            if id(m) not in inside and (isinstance(m, OPAQUE_TYPES) or not any(m.children()))]


def _count_flops(model: nn.Module, example: torch.Tensor) -> FlopCounterMode:
    counter = FlopCounterMode(display=False)
    with counter:
        model(example)
    return counter


# ---------------------------------------------------------------- receptive fields


def _initial_field(example: torch.Tensor) -> Field:
    # notes 3.1: an input pixel "sees" itself: receptive field 1, neighbours 1 pixel apart
    return (ReceptiveField(), ReceptiveField()) if example.dim() == 4 else None


def _grow(module: nn.Module, field_in: Field, first: torch.Tensor | None) -> Field:
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


# ---------------------------------------------------------------- counting


def _formula_params(module: nn.Module) -> int | None:
    bias = getattr(module, "bias", None) is not None
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size
        return conv2d_params(k[0], k[1], module.in_channels, module.out_channels, bias, module.groups)
    if isinstance(module, nn.Conv1d):
        return conv2d_params(1, module.kernel_size[0], module.in_channels, module.out_channels, bias, module.groups)
    if isinstance(module, nn.ConvTranspose2d):
        k = module.kernel_size
        return conv_transpose2d_params(k[0], k[1], module.in_channels, module.out_channels, bias, module.groups)
    if isinstance(module, nn.Linear):
        return linear_params(module.in_features, module.out_features, bias)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return batch_norm_params(module.num_features, module.affine)
    return None


def _formula_macs(call: _Call) -> int | None:
    module, out, inp = call.module, call.output_shape, call.input_shape
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size
        return conv2d_macs(k[0], k[1], module.in_channels, module.out_channels, out[-2], out[-1], module.groups)
    if isinstance(module, nn.Conv1d):
        k = module.kernel_size
        return conv2d_macs(1, k[0], module.in_channels, module.out_channels, 1, out[-1], module.groups)
    if isinstance(module, nn.ConvTranspose2d):
        k = module.kernel_size
        c_in, c_out, groups = module.in_channels, module.out_channels, module.groups
        return conv_transpose2d_macs(k[0], k[1], c_in, c_out, inp[-2], inp[-1], groups)
    if isinstance(module, nn.Linear):
        # one product per output vector: every leading dimension is another vector
        return linear_macs(module.in_features, module.out_features) * math.prod(out[:-1])
    if isinstance(module, ZERO_MAC_TYPES) or type(module).__module__ == "torch.nn.modules.activation":
        return 0 if not isinstance(module, nn.MultiheadAttention) else None
    return None


def _rows(model: nn.Module, calls: list[_Call], counter: FlopCounterMode) -> list[LayerRow]:
    counts, root = counter.get_flop_counts(), type(model).__name__
    module_macs = _macs_per_module(calls)
    seen: set[int] = set()
    rows = []
    for call in calls:
        first = id(call.module) not in seen
        seen.add(id(call.module))
        params, formula = (_own_numel(call.module), _formula_params(call.module)) if first else (0, None)
        torch_macs = sum(counts.get(f"{root}.{call.fqn}" if call.fqn else root, {}).values()) / 2 if first else None
        rows.append(LayerRow(
            name=(call.fqn or root) + ("" if first else " (again)"),
            type=type(call.module).__name__,
            output_shape=call.output_shape,
            params=params,
            params_formula=formula,
            macs=_formula_macs(call),
            counter_macs=torch_macs,
            receptive_field=_field_sizes(call.field),
            check=_check(params, formula, module_macs[id(call.module)], torch_macs),
        ))
    return rows


def _macs_per_module(calls: list[_Call]) -> dict[int, int | None]:
    """Formula MACs of each module over all its calls (``None`` if its type is not counted)."""
    totals: dict[int, int | None] = {}
    for call in calls:
        macs, before = _formula_macs(call), totals.get(id(call.module), 0)
        totals[id(call.module)] = None if macs is None or before is None else before + macs
    return totals


def _check(params: int, formula: int | None, macs: int | None, torch_macs: float | None) -> str:
    """Empty when the row agrees with PyTorch, else what disagrees."""
    problems = []
    if formula is not None and formula != params:
        problems.append(f"formula params {formula:,} != numel {params:,}")
    if torch_macs is not None and macs is None:
        problems.append(f"MACs not counted by dlbox (FlopCounterMode: {torch_macs:,.0f})")
    elif torch_macs is not None and macs is not None and macs != torch_macs:
        problems.append(f"MACs {macs:,} != FlopCounterMode {torch_macs:,.0f}")
    return "; ".join(problems)


def _assemble(model: nn.Module, input_size: tuple, rows: list[LayerRow], counter: FlopCounterMode) -> Summary:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows_params = sum(r.params for r in rows)
    total_macs = sum(r.macs or 0 for r in rows)
    counter_macs = counter.get_total_flops() / 2
    mismatches = [f"{row.name}: {row.check}" for row in rows if row.check]
    if rows_params != total:
        mismatches.append(f"params: rows sum to {rows_params:,} but sum(numel) is {total:,} "
                          "(parameters outside leaf modules, or modules not called)")
    if total_macs != counter_macs:
        mismatches.append(f"MACs: rows sum to {total_macs:,} but FlopCounterMode counts {counter_macs:,.0f} "
                          f"({counter_macs * 2:,.0f} FLOPs / 2)")
    name = getattr(model, "dlbox_config", {}).get("name") or type(model).__name__
    return Summary(name, input_size, rows, total, trainable, rows_params, total_macs, counter_macs, mismatches)


# ---------------------------------------------------------------- helpers


def _example_input(model: nn.Module, input_size: tuple[int, ...]) -> torch.Tensor:
    reference = next(model.parameters(), None)
    dtype = reference.dtype if reference is not None and reference.is_floating_point() else torch.float32
    device = reference.device if reference is not None else torch.device("cpu")
    generator = torch.Generator().manual_seed(0)
    return torch.randn(1, *input_size, generator=generator, dtype=dtype).to(device)


class _eval_mode:
    """Context manager: ``model.eval()`` inside, every module's training flag restored on exit."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.flags = {m: m.training for m in model.modules()}

    def __enter__(self) -> nn.Module:
        return self.model.eval()

    def __exit__(self, *exc: object) -> None:
        for module, flag in self.flags.items():
            module.training = flag


def _tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _own_numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _batchless(tensor: torch.Tensor | None) -> tuple[int, ...]:
    return tuple(tensor.shape[1:]) if tensor is not None else ()


def _pair(value: int | tuple | None, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    if value is None:
        return default
    return tuple(default[i] if v is None else int(v) for i, v in enumerate(value))  # type: ignore[return-value]


def _field_sizes(value: Field) -> tuple[int, int] | str | None:
    if value is None or value == GLOBAL:
        return value
    return (value[0].size, value[1].size)


def _field_text(value: tuple[int, int] | str | None) -> str:
    if value is None:
        return "-"
    if value == GLOBAL:
        return "global"
    return str(value[0]) if value[0] == value[1] else f"{value[0]}x{value[1]}"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _count_text(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"
