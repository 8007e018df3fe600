"""A standard ``KxK`` convolution against its depthwise-separable counterpart (notes 3.4, 3.4.1).

Both layers are measured with :func:`dlbox.analysis.summary.summary`, so their parameters and
MACs are the cross-checked ones. A bias is counted only where the standard layer has one; the
separable counterpart then has one on each of its two convolutions (``nn.Conv2d``'s default).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch.nn as nn
from rich.table import Table

from dlbox.analysis.summary import Summary, render_text, summary


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
    bias: bool = True

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
        if not self.bias:
            title += ", no bias"
        table = Table(title=title, caption=f"notes 3.4.1 ratio 1/D_out + 1/K^2 = {self.notes_ratio:.4f}")
        for column in ("", "Standard", "Depthwise-separable", "Ratio"):
            table.add_column(column, justify="right")
        table.add_row("Params", f"{self.standard_params:,}", f"{self.separable_params:,}", f"{self.params_ratio:.4f}")
        table.add_row("MACs", f"{self.standard_macs:,}", f"{self.separable_macs:,}", f"{self.macs_ratio:.4f}")
        return table

    def __str__(self) -> str:
        return render_text(self.to_table())


def compare_separable(in_channels: int, out_channels: int, kernel: int, size: int, bias: bool = True) -> SeparableComparison:
    """Standard ``Conv2d(in, out, kernel, padding='same', bias=bias)`` vs depthwise ``kernel x kernel`` + pointwise 1x1.

    ``size`` is the side of the (square) input and output feature map; ``bias`` applies to the
    standard layer and to both layers of the separable one.
    """
    standard = nn.Conv2d(in_channels, out_channels, kernel, padding="same", bias=bias)
    separable = nn.Sequential(
        # notes 3.4: D_in kernels k x k x 1 (depthwise) ...
        nn.Conv2d(in_channels, in_channels, kernel, padding="same", groups=in_channels, bias=bias),
        # ... then D_out kernels 1 x 1 x D_in (pointwise)
        nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    )
    shape = (in_channels, size, size)
    a, b = summary(standard, shape), summary(separable, shape)
    return SeparableComparison(in_channels, out_channels, kernel, size,
                               a.total_params, b.total_params, a.total_macs, b.total_macs, bias)


def separable_comparisons(model: nn.Module, result: Summary) -> list[tuple[str, SeparableComparison]]:
    """``(layer name, comparison)`` for each standard square ``KxK`` convolution (``K > 1``, ``groups == 1``) of ``model``.

    ``result`` is ``model``'s summary; a layer's comparison uses its channels, kernel, output
    side (the kernel is applied ``O_h x O_w`` times, whatever the stride) and whether it has a bias.
    """
    modules = dict(model.named_modules())
    out = []
    for row in result.rows:
        conv = modules.get(row.name)
        if not isinstance(conv, nn.Conv2d) or conv.groups != 1:
            continue
        k_h, k_w = conv.kernel_size
        if k_h == k_w > 1:
            comparison = compare_separable(conv.in_channels, conv.out_channels, k_h, row.output_shape[-1],
                                           bias=conv.bias is not None)
            out.append((row.name, comparison))
    return out
