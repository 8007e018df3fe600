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
- MACs: each module against ``torch.utils.flop_counter.FlopCounterMode``'s count (its FLOPs / 2), and
  the total against the counter's total (functional ops outside leaf modules show up there). The
  counting is :class:`dlbox.analysis.flop_count.FlopCounter`: ``FlopCounterMode``'s per-operator
  formulas without its import of ``torch._dynamo``.

``print(summary(model, (C, H, W)))`` prints the table as text (:meth:`Summary.to_text`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
from rich.table import Table

from dlbox.analysis.field_flow import GLOBAL, Field, FieldTracker, field_sizes, grow_field, initial_field, tensors_in
from dlbox.analysis.flop_count import FlopCounter, count_flops
from dlbox.formulas import (
    batch_norm_params,
    conv2d_macs,
    conv2d_params,
    conv_transpose2d_macs,
    conv_transpose2d_params,
    linear_macs,
    linear_params,
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

    def to_text(self, width: int = 160) -> str:
        """The :meth:`to_table` table as plain text, ``width`` characters wide (what ``str()`` and ``print`` give)."""
        return render_text(self.to_table(), width)

    def __str__(self) -> str:
        return self.to_text()

    def __rich__(self) -> Table:
        return self.to_table()

    def _caption(self) -> str:
        if not self.mismatches:
            return "cross-checks: params == sum(numel), MACs == FlopCounterMode FLOPs / 2"
        return "MISMATCHES:\n" + "\n".join(self.mismatches)


def summary(model: nn.Module, input_size: tuple[int, int, int]) -> Summary:
    """Summarize ``model`` on one input of shape ``input_size = (C, H, W)`` (``(F,)`` for vector models also works).

    Leaf modules are recorded by forward hooks in execution order. The model runs twice (once
    for the rows and receptive fields, once counting FLOPs) in eval mode and without
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
        counter = count_flops(model, example, _leaf_modules(model))
    rows = _rows(model, records, counter)
    return _assemble(model, tuple(input_size), rows, counter)


def render_text(table: Table, width: int = 160) -> str:
    """A rich table as plain text (no colours, no terminal codes), ``width`` characters wide at most."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(table)
    return buffer.getvalue()


# ---------------------------------------------------------------- recording


@dataclass(frozen=True)
class _Call:
    fqn: str
    module: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    field: Field


def _record_calls(model: nn.Module, example: torch.Tensor) -> list[_Call]:
    tracker = FieldTracker()
    calls: list[_Call] = []
    names = {module: name for name, module in model.named_modules()}

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        first = next(tensors_in(inputs), None)
        field_in = tracker.get(inputs)
        field_out = grow_field(module, field_in, first)
        tracker.set(output, field_out)
        out_tensor = next(tensors_in(output), None)
        calls.append(_Call(names[module], module, _batchless(first), _batchless(out_tensor), field_out))

    handles = [m.register_forward_hook(hook) for m in _leaf_modules(model)]
    try:
        with tracker:
            tracker.set(example, initial_field(example))
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


def _rows(model: nn.Module, calls: list[_Call], counter: FlopCounter) -> list[LayerRow]:
    root = type(model).__name__
    module_macs = _macs_per_module(calls)
    seen: set[int] = set()
    rows = []
    for call in calls:
        first = id(call.module) not in seen
        seen.add(id(call.module))
        params, formula = (_own_numel(call.module), _formula_params(call.module)) if first else (0, None)
        torch_macs = counter.per_module.get(call.module, 0) / 2 if first else None
        rows.append(LayerRow(
            name=(call.fqn or root) + ("" if first else " (again)"),
            type=type(call.module).__name__,
            output_shape=call.output_shape,
            params=params,
            params_formula=formula,
            macs=_formula_macs(call),
            counter_macs=torch_macs,
            receptive_field=field_sizes(call.field),
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


def _assemble(model: nn.Module, input_size: tuple, rows: list[LayerRow], counter: FlopCounter) -> Summary:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows_params = sum(r.params for r in rows)
    total_macs = sum(r.macs or 0 for r in rows)
    counter_macs = counter.total / 2
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


def _own_numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _batchless(tensor: torch.Tensor | None) -> tuple[int, ...]:
    return tuple(tensor.shape[1:]) if tensor is not None else ()


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
